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
/// XML is streamed in constant memory; JSON reports (eval-harness logs, small by nature) are
/// read whole, up to ``maximumJSONSize``. Either way the caller sees cases as they are parsed
/// and must treat the run as incomplete until `read` returns: a report that turns out to be
/// malformed halfway throws after some cases were delivered.
public enum ReportReader {
    /// The largest JSON report read.
    public static let maximumJSONSize = 256 << 20

    /// Parses `path`, in `format` or the detected one.
    ///
    /// - Throws: ``IngestError`` naming the file (and, for XML, the line).
    public static func read(path: String, format: ReportFormat? = nil, _ sink: (CaseOutcome) throws -> Void) throws -> ReportFacts {
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
            var parser = TRXReportParser(reader: reader, name: path, descriptor: descriptor)
            return try parser.parse(sink)
        case .tap:
            return try TAPReportParser(name: path).parse(LineReader(fileDescriptor: descriptor, name: path, maximumLineLength: TAPReportParser.maximumLineLength), sink)
        case .goTestJSON:
            return try GoTestReportParser(name: path).parse(LineReader(fileDescriptor: descriptor, name: path, maximumLineLength: GoTestReportParser.maximumLineLength), sink)
        case .promptfoo:
            return try PromptfooReportParser(name: path).parse(try readAll(descriptor, path), sink)
        case .inspect:
            if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return try InspectEvalReader(name: path).parse(descriptor: descriptor, sink) }
            return try InspectReportParser(name: path).parse(try readAll(descriptor, path), sink)
        case .sarif:
            return try SARIFReportParser(name: path).parse(descriptor: descriptor, sink)
        case .ctrf:
            return try CTRFReportParser(name: path).parse(descriptor: descriptor, sink)
        }
    }

    private static func readAll(_ descriptor: Int32, _ path: String) throws -> Data {
        let bytes: [UInt8]
        do {
            bytes = try SystemIO.readAll(descriptor, name: path, limit: maximumJSONSize, tooLarge: "\(path): a JSON report over \(maximumJSONSize >> 20) MiB")
        } catch let error as SystemIOError {
            throw IngestError(error.kind == .tooLarge ? .unsupported : .unreadable, error.message)
        }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw IngestError(.notAReport, "\(path): the report is empty")
        }
        return Data(bytes)
    }
}
