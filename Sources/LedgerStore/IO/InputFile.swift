#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Events

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
        var bytes = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = systemRead(descriptor, &chunk, chunk.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw LedgerError(.invalidEvent, "cannot read \(name): \(errnoMessage())")
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > maximumRawPayloadSize {
                throw LedgerError(EventError(.tooLarge, "the payload in \(name) is over \(maximumRawPayloadSize) bytes; the limit is \(ProposedEvent.maximumPayloadSize) bytes of canonical JSON"))
            }
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
            return LineReader(fileDescriptor: descriptor, name: name)
        }
        let folder = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(folder)/remedy-batch-XXXXXX".utf8CString)
        let spool = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard spool >= 0 else { throw LedgerError(.storage, "cannot spool \(name) to \(folder): \(errnoMessage())") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        while true {
            let count = systemRead(descriptor, &chunk, chunk.count)
            if count < 0 {
                if errno == EINTR { continue }
                close(spool)
                throw LedgerError(.invalidEvent, "cannot read \(name): \(errnoMessage())")
            }
            if count == 0 { break }
            var written = 0
            while written < count {
                let n = chunk.withUnsafeBytes { systemWrite(spool, $0.baseAddress! + written, count - written) }
                if n < 0 {
                    if errno == EINTR { continue }
                    let message = errnoMessage()
                    close(spool)
                    throw LedgerError(.storage, "cannot spool \(name) to \(folder): \(message)")
                }
                written += n
            }
        }
        lseek(spool, 0, SEEK_SET)
        return LineReader(ownedFileDescriptor: spool, name: name)
    }
}

#if canImport(Glibc)
let systemRead = Glibc.read
let systemWrite = Glibc.write
#elseif canImport(Darwin)
let systemRead = Darwin.read
let systemWrite = Darwin.write
#endif

extension InputFile {
    /// Writes bytes to a new file (replacing one that exists).
    ///
    /// - Throws: ``LedgerError`` (`.storage`) when the file cannot be written.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw LedgerError(.storage, "cannot write \(path): \(errnoMessage())") }
        defer { close(descriptor) }
        let code = bytes.withUnsafeBytes { writeAll(descriptor, $0) }
        if code != 0 { throw LedgerError(.storage, "cannot write \(path): \(errnoMessage(code))") }
    }
}
