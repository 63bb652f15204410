#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A temporary file, unlinked as soon as it is made, to hold what would take too much memory
/// until it is copied on (an export's read-model snapshot, a read model's stored snapshot):
/// written in order, read back by offset. Writes are buffered a megabyte at a time.
///
/// ```swift
/// let spool = try SpoolFile()
/// try spool.write([1, 2, 3])
/// try spool.read(from: 0, count: spool.size) { piece in consume(piece) }
/// ```
public final class SpoolFile {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    /// The bytes written so far.
    public private(set) var size = 0

    /// Makes the file in `TMPDIR` (else `/tmp`).
    ///
    /// - Throws: ``SystemIOError`` when no temporary file can be made there.
    public init() throws {
        let folder = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(folder)/remedy-spool-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SystemIOError.writing("a temporary file in \(folder)", errno) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Appends `bytes`.
    ///
    /// - Throws: ``SystemIOError`` (`.diskFull` when the temporary folder is full).
    public func write(_ bytes: some Collection<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        size += bytes.count
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        let code = buffer.withUnsafeBytes { writeAll(descriptor, $0) }
        if code != 0 { throw SystemIOError.writing("a temporary file", code) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Passes `count` bytes from `offset` to `body`, in pieces of up to 256 KiB.
    ///
    /// - Throws: ``SystemIOError`` when the file cannot be read or ends early.
    public func read(from offset: Int, count: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try flush()
        var chunk = [UInt8](repeating: 0, count: min(1 << 18, count))
        var done = 0
        while done < count {
            let wanted = min(chunk.count, count - done)
            let got = chunk.withUnsafeMutableBytes { readSome(descriptor, UnsafeMutableRawBufferPointer(rebasing: $0[0..<wanted]), at: offset + done) }
            if got < 0 { throw SystemIOError.reading("a temporary file", errno) }
            guard got > 0 else { throw SystemIOError(.unreadable, "cannot read a temporary file: it ended early") }
            try chunk.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
            done += got
        }
    }
}
