#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads newline-separated lines from a file descriptor in large chunks, with a bound on the
/// length of a line, so a batch of any size is read in constant memory.
public final class LineReader {
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private let name: String
    private let maximumLineLength: Int
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0
    private var reachedEnd = false
    /// The number of the line last returned, from 1.
    public private(set) var lineNumber = 0

    private static let chunkSize = 1 << 18

    /// Reads from an open descriptor (standard input is 0), which the reader does not close.
    public init(fileDescriptor: Int32, name: String, maximumLineLength: Int) {
        self.descriptor = fileDescriptor
        self.ownsDescriptor = false
        self.name = name
        self.maximumLineLength = maximumLineLength
        self.buffer = [UInt8](repeating: 0, count: Self.chunkSize)
    }

    /// Reads from a descriptor this reader closes when done.
    public init(ownedFileDescriptor: Int32, name: String, maximumLineLength: Int) {
        self.descriptor = ownedFileDescriptor
        self.ownsDescriptor = true
        self.name = name
        self.maximumLineLength = maximumLineLength
        self.buffer = [UInt8](repeating: 0, count: Self.chunkSize)
    }

    /// Opens a file to read.
    ///
    /// - Throws: ``SystemIOError`` (`.unreadable`) when the file cannot be opened.
    public init(path: String, maximumLineLength: Int) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemIOError.reading(path, errno) }
        self.descriptor = fd
        self.ownsDescriptor = true
        self.name = path
        self.maximumLineLength = maximumLineLength
        self.buffer = [UInt8](repeating: 0, count: Self.chunkSize)
    }

    deinit {
        if ownsDescriptor { close(descriptor) }
    }

    /// The next line without its `\n` (or `\r\n`), or nil at the end of the input.
    ///
    /// - Throws: ``SystemIOError``: `.tooLarge` for a line over the limit (its message names
    ///   the input and the line: `batch.ndjson: line 3: the line is longer than 1048576 bytes`),
    ///   `.unreadable` for a read error.
    public func nextLine() throws -> ArraySlice<UInt8>? {
        var searchFrom = start
        while true {
            if let newline = buffer[searchFrom..<end].firstIndex(of: UInt8(ascii: "\n")) {
                var lineEnd = newline
                if lineEnd > start && buffer[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
                try checkLength(lineEnd - start)
                lineNumber += 1
                let line = buffer[start..<lineEnd]
                start = newline + 1
                return line
            }
            // A '\r' at the end may be half of a CRLF whose '\n' is not read yet.
            try checkLength(end - start - (end > start && buffer[end - 1] == UInt8(ascii: "\r") ? 1 : 0))
            if reachedEnd {
                guard start < end else { return nil }
                lineNumber += 1
                let line = buffer[start..<end]
                start = end
                return line
            }
            // Only the newly read bytes need searching; `fill` may move the unread ones.
            let scanned = end - start
            try fill()
            searchFrom = start + scanned
        }
    }

    private func checkLength(_ length: Int) throws {
        if length > maximumLineLength {
            throw SystemIOError(.tooLarge, "\(name): line \(lineNumber + 1): the line is longer than \(maximumLineLength) bytes")
        }
    }

    /// Moves the unread bytes to the front and reads more after them.
    private func fill() throws {
        if start > 0 {
            let remaining = end - start
            if remaining > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    _ = memmove(raw.baseAddress!, raw.baseAddress! + start, remaining)
                }
            }
            end = remaining
            start = 0
        }
        if buffer.count - end < Self.chunkSize / 2 {
            buffer.append(contentsOf: repeatElement(0, count: buffer.count))
        }
        let count = buffer.withUnsafeMutableBytes { raw in
            readSome(descriptor, UnsafeMutableRawBufferPointer(rebasing: raw[end...]))
        }
        if count < 0 { throw SystemIOError.reading(name, errno) }
        if count == 0 { reachedEnd = true } else { end += count }
    }
}
