#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemIO
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reads one report file of any supported format, calling a sink with every case attempt.
///
/// Every format streams: XML (JUnit, TRX) through the streaming reader, JSON (SARIF, CTRF,
/// promptfoo, inspect_ai) one element at a time (``JSONPathStream``), TAP and go test -json a
/// line at a time, an inspect_ai `.eval` one ZIP member at a time. So the caller sees cases as
/// they are parsed and must treat the run as incomplete until `read` returns: a report that
/// turns out to be malformed halfway throws after some cases were delivered.
public enum ReportReader {
    /// Parses `path`, in `format` or the detected one. What a format must remember of each
    /// case across the file (SARIF, TRX) goes into a ``ReportScratch`` from `scratch`, in
    /// memory unless the caller keeps it on disk.
    ///
    /// - Throws: ``IngestError`` naming the file (and, for XML, the line), or what the
    ///   scratch throws.
    public static func read(path: String, format: ReportFormat? = nil, scratch: () throws -> any ReportScratch = { MemoryScratch() },
                            _ sink: (CaseOutcome) throws -> Void) throws -> ReportFacts {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw IngestError(.unreadable, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        var info = stat()
        if fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            throw IngestError(.unreadable, "cannot read \(path): it is a folder")
        }
        var head = [UInt8](repeating: 0, count: 4096)
        let headCount = pread(descriptor, &head, head.count, 0)
        guard headCount >= 0 else { throw IngestError(.unreadable, "cannot read \(path): \(String(cString: strerror(errno)))") }
        head.removeSubrange(headCount...)
        let chosen = try format ?? ReportFormat.detect(head: head, name: path)
        switch chosen {
        case .junit:
            let reader = try XMLReader.open(path: path, descriptor: descriptor)
            var parser = JUnitReportParser(reader: reader, name: path)
            return try parser.parse(sink)
        case .trx:
            let reader = try XMLReader.open(path: path, descriptor: descriptor)
            var parser = TRXReportParser(reader: reader, name: path, descriptor: descriptor, scratch: try scratch())
            return try parser.parse(sink)
        case .tap:
            return try TAPReportParser(name: path).parse(LineReader(fileDescriptor: descriptor, name: path, maximumLineLength: TAPReportParser.maximumLineLength), sink)
        case .goTestJSON:
            return try GoTestReportParser(name: path).parse(LineReader(fileDescriptor: descriptor, name: path, maximumLineLength: GoTestReportParser.maximumLineLength), sink)
        case .promptfoo:
            return try PromptfooReportParser(name: path).parse(descriptor: descriptor, sink)
        case .inspect:
            if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return try InspectEvalReader(name: path).parse(descriptor: descriptor, sink) }
            return try InspectReportParser(name: path).parse(descriptor: descriptor, sink)
        case .sarif:
            return try SARIFReportParser(name: path, occurrences: try scratch()).parse(descriptor: descriptor, sink)
        case .ctrf:
            return try CTRFReportParser(name: path).parse(descriptor: descriptor, sink)
        }
    }
}
