/// A POSIX ustar header (POSIX.1-1988), written exactly as GNU tar writes one with
/// `--format=ustar --mtime=@0 --owner=0 --group=0 --numeric-owner --mode=0644`: so a bundle's
/// tar is byte for byte what GNU tar makes of the same members (a test compares them).
///
/// Layout (offsets in the 512-byte block): name 0–99, mode 100, uid 108, gid 116, size 124
/// (11 octal digits), mtime 136, checksum 148 (6 octal digits, NUL, space), type 156,
/// linkname 157, magic `ustar\0` 257, version `00` 263, uname 265, gname 297, devmajor 329,
/// devminor 337, prefix 345–499.
enum TarHeader {
    static let blockSize = 512
    /// GNU tar pads an archive to its record size: 20 blocks.
    static let recordSize = 20 * 512
    /// The largest member a ustar size field can state: 11 octal digits.
    static let maximumSize = (1 << 33) - 1

    /// The header of a regular file `name` of `size` bytes, mode 0644, owned by 0:0, mtime 0.
    ///
    /// - Precondition: `name` is at most 100 bytes (bundle members are), `size` at most ``maximumSize``.
    static func regularFile(name: String, size: Int) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: blockSize)
        let nameBytes = Array(name.utf8)
        precondition(nameBytes.count <= 100 && size <= maximumSize)
        block.replaceSubrange(0..<nameBytes.count, with: nameBytes)
        func octal(_ value: Int, digits: Int, at offset: Int) {
            let text = String(value, radix: 8)
            let padded = Array((String(repeating: "0", count: digits - text.count) + text).utf8)
            block.replaceSubrange(offset..<(offset + digits), with: padded)
            block[offset + digits] = 0
        }
        octal(0o644, digits: 7, at: 100)
        octal(0, digits: 7, at: 108)
        octal(0, digits: 7, at: 116)
        octal(size, digits: 11, at: 124)
        octal(0, digits: 11, at: 136)
        block[156] = UInt8(ascii: "0")
        block.replaceSubrange(257..<263, with: Array("ustar\0".utf8))
        block.replaceSubrange(263..<265, with: Array("00".utf8))
        octal(0, digits: 7, at: 329)
        octal(0, digits: 7, at: 337)
        // The checksum is the sum of the header's bytes with its own field as spaces.
        for offset in 148..<156 { block[offset] = UInt8(ascii: " ") }
        let sum = block.reduce(0) { $0 + Int($1) }
        octal(sum, digits: 6, at: 148)
        block[155] = UInt8(ascii: " ")
        return block
    }

    /// The zero bytes that pad a member's data to a whole block.
    static func padding(after size: Int) -> Int {
        (blockSize - size % blockSize) % blockSize
    }
}

/// Writes a ustar archive member by member: a header, the data, the padding; and the end
/// (two zero blocks, then zeros to a whole record) as GNU tar does.
final class TarWriter {
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private var written = 0
    private var remaining = 0

    init(_ sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        self.sink = sink
    }

    private func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try sink($0) }
        written += bytes.count
    }

    /// Starts a member of `size` bytes; its data follows through ``write(_:)``.
    func begin(name: String, size: Int) throws {
        precondition(remaining == 0, "the previous member is not complete")
        try emit(TarHeader.regularFile(name: name, size: size))
        remaining = size
        if size == 0 { try end() }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(bytes.count <= remaining, "more data than the member's size")
        try sink(bytes)
        written += bytes.count
        remaining -= bytes.count
        if remaining == 0 { try end() }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// A whole member at once.
    func add(name: String, bytes: [UInt8]) throws {
        try begin(name: name, size: bytes.count)
        if !bytes.isEmpty { try write(bytes) }
    }

    private func end() throws {
        let padding = (TarHeader.blockSize - written % TarHeader.blockSize) % TarHeader.blockSize
        if padding > 0 { try emit([UInt8](repeating: 0, count: padding)) }
    }

    /// The end-of-archive blocks and the record padding.
    func finish() throws {
        try emit([UInt8](repeating: 0, count: 2 * TarHeader.blockSize))
        let padding = (TarHeader.recordSize - written % TarHeader.recordSize) % TarHeader.recordSize
        if padding > 0 { try emit([UInt8](repeating: 0, count: padding)) }
    }
}
