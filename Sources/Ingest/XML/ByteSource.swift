#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemIO

/// Where the XML reader's bytes come from: a file read in chunks, possibly transcoded.
protocol ByteSource {
    /// Reads up to `buffer.count` bytes; 0 at the end.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A file descriptor read with `read(2)`.
struct FileByteSource: ByteSource {
    let descriptor: Int32
    let name: String

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = readSome(descriptor, buffer)
        if count < 0 { throw IngestError(.unreadable, SystemIOError.reading(name, errno).message) }
        return count
    }
}

/// Bytes already in memory (tests, and what was read ahead before choosing a transcoder).
struct MemoryByteSource: ByteSource {
    private var bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(buffer.count, bytes.count - offset)
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + offset, byteCount: count) }
        offset += count
        return count
    }
}

/// Reads the bytes of `head` first, then the rest of `tail`.
struct ChainedByteSource<Tail: ByteSource>: ByteSource {
    var head: MemoryByteSource
    var tail: Tail
    var headDone = false

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if !headDone {
            let count = try head.read(into: buffer)
            if count > 0 { return count }
            headDone = true
        }
        return try tail.read(into: buffer)
    }
}

/// Turns UTF-16 (little or big endian) into UTF-8, chunk by chunk.
struct UTF16ToUTF8Source<Base: ByteSource>: ByteSource {
    var base: Base
    let bigEndian: Bool
    private var pending: [UInt8] = []
    private var carry: [UInt8] = []
    private var highSurrogate: UInt32?
    private var input = [UInt8](repeating: 0, count: 1 << 16)

    init(base: Base, bigEndian: Bool) {
        self.base = base
        self.bigEndian = bigEndian
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while pending.isEmpty {
            let count = try input.withUnsafeMutableBytes { try base.read(into: $0) }
            if count == 0 {
                if !carry.isEmpty || highSurrogate != nil {
                    throw IngestError(.malformed, "the UTF-16 text ends in the middle of a character")
                }
                return 0
            }
            var units = carry + input[0..<count]
            carry = units.count % 2 == 1 ? [units.removeLast()] : []
            for i in stride(from: 0, to: units.count, by: 2) {
                let unit = bigEndian ? UInt32(units[i]) << 8 | UInt32(units[i + 1]) : UInt32(units[i + 1]) << 8 | UInt32(units[i])
                var scalarValue = unit
                if let high = highSurrogate {
                    guard (0xDC00...0xDFFF).contains(unit) else {
                        throw IngestError(.malformed, "invalid UTF-16: a lone surrogate")
                    }
                    scalarValue = 0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00)
                    highSurrogate = nil
                } else if (0xD800...0xDBFF).contains(unit) {
                    highSurrogate = unit
                    continue
                } else if (0xDC00...0xDFFF).contains(unit) {
                    throw IngestError(.malformed, "invalid UTF-16: a lone surrogate")
                }
                pending.append(contentsOf: UTF8.encode(Unicode.Scalar(scalarValue)!)!)
            }
        }
        let count = min(buffer.count, pending.count)
        pending.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
        pending.removeFirst(count)
        return count
    }
}

/// Turns ISO-8859-1 (Latin-1) into UTF-8: each byte is the code point of the same value.
struct Latin1ToUTF8Source<Base: ByteSource>: ByteSource {
    var base: Base
    private var pending: [UInt8] = []
    private var input = [UInt8](repeating: 0, count: 1 << 16)

    init(base: Base) { self.base = base }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while pending.isEmpty {
            let count = try input.withUnsafeMutableBytes { try base.read(into: $0) }
            if count == 0 { return 0 }
            for byte in input[0..<count] {
                if byte < 0x80 {
                    pending.append(byte)
                } else {
                    pending.append(0xC0 | byte >> 6)
                    pending.append(0x80 | byte & 0x3F)
                }
            }
        }
        let count = min(buffer.count, pending.count)
        pending.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
        pending.removeFirst(count)
        return count
    }
}
