#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Events
import SystemIO

/// Reading what a caller hands to an append: a whole payload, or a batch to spool.
public enum InputFile {
    /// The largest raw payload file read: room for a pretty-printed payload whose canonical
    /// form fits ``ProposedEvent/maximumPayloadSize``.
    public static let maximumRawPayloadSize = 4 * ProposedEvent.maximumPayloadSize

    /// Reads a whole payload from a file, or from standard input for `nil`.
    ///
    /// - Throws: ``LedgerError`` (`.invalidEvent`) when the input cannot be read or is too large.
    public static func readPayload(path: String?) throws -> [UInt8] {
        let name = path ?? "standard input"
        let descriptor = path.map { open($0, O_RDONLY | O_CLOEXEC) } ?? 0
        guard descriptor >= 0 else { throw LedgerError(.invalidEvent, "cannot read \(name): \(errnoMessage())") }
        defer { if path != nil { close(descriptor) } }
        do {
            return try readAll(descriptor, name: name, limit: maximumRawPayloadSize,
                               tooLarge: "the payload in \(name) is over \(maximumRawPayloadSize) bytes; the limit is \(ProposedEvent.maximumPayloadSize) bytes of canonical JSON")
        } catch let error as SystemIOError where error.kind == .tooLarge {
            throw LedgerError(EventError(.tooLarge, error.message))
        } catch let error as SystemIOError {
            throw LedgerError(error)
        }
    }

    /// A line reader over a batch on `descriptor`, copied first to an unlinked temporary file
    /// when it is a pipe or terminal.
    ///
    /// The batch's transaction holds the ledger's write lock from its first line to its last;
    /// spooling means a slow producer on standard input never keeps other writers waiting.
    ///
    /// - Throws: ``LedgerError`` when the input cannot be read or the spool cannot be written.
    public static func spooledBatch(fileDescriptor descriptor: Int32, name: String) throws -> LineReader {
        var info = stat()
        if fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
            return LineReader(fileDescriptor: descriptor, name: name, maximumLineLength: BatchLine.maximumLineSize)
        }
        let folder = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(folder)/remedy-batch-XXXXXX".utf8CString)
        let spool = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard spool >= 0 else { throw LedgerError(.storage, "cannot spool \(name) to \(folder): \(errnoMessage())") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        do {
            try copyAll(from: descriptor, name: name, to: spool, targetName: "the spool of \(name) in \(folder)")
        } catch let error as SystemIOError {
            close(spool)
            throw LedgerError(error)
        }
        lseek(spool, 0, SEEK_SET)
        return LineReader(ownedFileDescriptor: spool, name: name, maximumLineLength: BatchLine.maximumLineSize)
    }
}

extension InputFile {
    /// Writes bytes to a new file (replacing one that exists), with `mode` for a new file.
    ///
    /// - Throws: ``LedgerError`` (`.storage`) when the file cannot be written.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw LedgerError(.storage, "cannot write \(path): \(errnoMessage())") }
        defer { close(descriptor) }
        let code = bytes.withUnsafeBytes { writeAll(descriptor, $0) }
        if code != 0 { throw LedgerError(.storage, "cannot write \(path): \(errnoMessage(code))") }
    }
}
