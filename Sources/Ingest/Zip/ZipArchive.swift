#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib
import SystemIO

/// A ZIP archive read in place (APPNOTE 6.3): its central directory, then one member at a
/// time, stored or deflated (zlib's raw inflate), ZIP64 when the archive uses it.
///
/// Built for archives from outside: every offset and size is checked against the file before
/// it is used, members may not overlap one another or the directory, names may not climb out
/// (`..`, absolute paths), a member is at most ``Limits/maximumMemberSize`` bytes inflated and
/// must inflate to exactly its declared size and CRC-32, and nothing is trusted that the
/// central directory and the local header disagree on.
struct ZipArchive {
    struct Limits: Sendable {
        /// The most one member may inflate to (a sample of an eval log is far smaller).
        var maximumMemberSize = 64 << 20
        /// The most members an archive may list.
        var maximumMembers = 1_000_000
        /// The largest central directory read.
        var maximumDirectorySize = 64 << 20
        /// Members declared smaller than this (a sample is a few kilobytes) are inflated in one
        /// call into a buffer of their declared size, which a lying member can make it cost;
        /// larger ones 64 KiB at a time into a buffer that grows with what they really hold.
        var inflatedInOneCall = 1 << 20
    }

    struct Member: Sendable, Equatable {
        var name: String
        var method: UInt16
        var crc32: UInt32
        var compressedSize: Int
        var size: Int
        var localHeaderOffset: Int
        /// Where its local header and data must end: the next member's local header, or the
        /// central directory.
        var end = 0
        /// The local header's length if its name and extra field are as long as the central
        /// directory's (as writers make them): one read then takes the header and the data.
        var expectedHeaderLength = 30
    }

    let name: String
    let members: [Member]
    private let descriptor: Int32
    private let fileSize: Int
    private let limits: Limits
    /// Where the members' data must end: the central directory's start.
    private let directoryOffset: Int

    /// Reads the central directory of the archive open at `descriptor`.
    ///
    /// - Throws: ``IngestError`` (`.malformed`, `.unsupported`, `.unreadable`) naming the file.
    init(descriptor: Int32, name: String, limits: Limits = Limits()) throws {
        self.descriptor = descriptor
        self.name = name
        self.limits = limits
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw IngestError(.unreadable, "cannot read \(name): \(String(cString: strerror(errno)))") }
        fileSize = Int(info.st_size)
        func fail(_ message: String) -> IngestError { IngestError(.malformed, "\(name): \(message)") }

        // The end of central directory record: the last 22 bytes, or up to a 64 KiB comment before them.
        let tailSize = min(fileSize, 22 + 0xFFFF)
        let tail = try Self.read(descriptor, at: fileSize - tailSize, count: tailSize, name: name)
        guard let end = (0...(max(0, tail.count - 22))).reversed().first(where: { index in
            tail.count >= 22 && Self.u32(tail, index) == 0x0605_4B50 && index + 22 + Int(Self.u16(tail, index + 20)) == tail.count
        }) else {
            throw fail("a ZIP archive without its end of central directory record (truncated?)")
        }
        let endOffset = fileSize - tailSize + end
        guard Self.u16(tail, end + 4) == 0, Self.u16(tail, end + 6) == 0 else { throw IngestError(.unsupported, "\(name): a ZIP archive split across disks") }
        var count = Int(Self.u16(tail, end + 10))
        var directorySize = Int(Self.u32(tail, end + 12))
        var directoryOffset = Int(Self.u32(tail, end + 16))
        var directoryEnd = endOffset
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: the locator, 20 bytes before, points at the ZIP64 end record.
            guard endOffset >= 20 else { throw fail("a ZIP64 archive without its ZIP64 locator") }
            let locator = try Self.read(descriptor, at: endOffset - 20, count: 20, name: name)
            guard Self.u32(locator, 0) == 0x0706_4B50 else { throw fail("a ZIP64 archive without its ZIP64 locator") }
            let recordOffset = Self.u64(locator, 8)
            guard recordOffset >= 0, recordOffset + 56 <= endOffset - 20 else { throw fail("the ZIP64 end record lies outside the file") }
            let record = try Self.read(descriptor, at: recordOffset, count: 56, name: name)
            guard Self.u32(record, 0) == 0x0606_4B50 else { throw fail("the ZIP64 end record is not where its locator says") }
            count = Self.u64(record, 32)
            directorySize = Self.u64(record, 40)
            directoryOffset = Self.u64(record, 48)
            directoryEnd = recordOffset
        }
        guard count >= 0, count <= limits.maximumMembers else { throw fail("the archive lists \(count) members (at most \(limits.maximumMembers))") }
        guard directorySize >= 0, directorySize <= limits.maximumDirectorySize, directoryOffset >= 0,
              directoryOffset + directorySize <= directoryEnd else {
            throw fail("the central directory (\(directorySize) bytes at \(directoryOffset)) lies outside the file: truncated or damaged")
        }
        self.directoryOffset = directoryOffset
        let directory = try Self.read(descriptor, at: directoryOffset, count: directorySize, name: name)
        var members: [Member] = []
        var cursor = 0
        for index in 0..<count {
            guard cursor + 46 <= directory.count, Self.u32(directory, cursor) == 0x0201_4B50 else {
                throw fail("central directory entry \(index + 1) of \(count) is missing or damaged (truncated?)")
            }
            let flags = Self.u16(directory, cursor + 8)
            let method = Self.u16(directory, cursor + 10)
            let nameLength = Int(Self.u16(directory, cursor + 28)), extraLength = Int(Self.u16(directory, cursor + 30))
            let commentLength = Int(Self.u16(directory, cursor + 32))
            let next = cursor + 46 + nameLength + extraLength + commentLength
            guard next <= directory.count else { throw fail("central directory entry \(index + 1) runs past the directory") }
            let nameBytes = Array(directory[(cursor + 46)..<(cursor + 46 + nameLength)])
            guard let memberName = String(validating: nameBytes, as: UTF8.self) else { throw fail("member \(index + 1) has a name that is not UTF-8") }
            var member = Member(name: memberName, method: method, crc32: Self.u32(directory, cursor + 16),
                                compressedSize: Int(Self.u32(directory, cursor + 20)), size: Int(Self.u32(directory, cursor + 24)),
                                localHeaderOffset: Int(Self.u32(directory, cursor + 42)))
            member.expectedHeaderLength = 30 + nameLength + extraLength
            // ZIP64 extended information: the 64-bit values of the fields set to 0xFFFFFFFF, in order.
            var extra = cursor + 46 + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let tag = Self.u16(directory, extra), size = Int(Self.u16(directory, extra + 2))
                guard extra + 4 + size <= extraEnd else { throw fail("member \(memberName): a damaged extra field") }
                if tag == 0x0001 {
                    var field = extra + 4
                    func take() throws -> Int {
                        guard field + 8 <= extra + 4 + size else { throw fail("member \(memberName): a ZIP64 field too short") }
                        defer { field += 8 }
                        return Self.u64(directory, field)
                    }
                    if member.size == 0xFFFF_FFFF { member.size = try take() }
                    if member.compressedSize == 0xFFFF_FFFF { member.compressedSize = try take() }
                    if member.localHeaderOffset == 0xFFFF_FFFF { member.localHeaderOffset = try take() }
                }
                extra += 4 + size
            }
            guard flags & 0x1 == 0 else { throw IngestError(.unsupported, "\(name): member \(memberName) is encrypted") }
            try Self.checkName(memberName, archive: name)
            guard member.size >= 0, member.size <= limits.maximumMemberSize else {
                throw fail("member \(memberName) claims \(member.size) bytes inflated (at most \(limits.maximumMemberSize)): refused")
            }
            guard member.compressedSize >= 0, member.localHeaderOffset >= 0, member.localHeaderOffset + 30 + member.compressedSize <= directoryOffset else {
                throw fail("member \(memberName) lies outside the archive's data")
            }
            // Its compressed bytes are read whole: no more than deflate can take for the size it
            // claims (stored: exactly that size), so a small claim cannot make a large read.
            let most = method == 0 ? member.size : member.size + member.size / 256 + 1024
            guard member.compressedSize <= most else {
                throw fail("member \(memberName) holds \(member.compressedSize) compressed bytes for \(member.size) inflated: refused")
            }
            members.append(member)
            cursor = next
        }
        // Members may not share bytes: each ends where the next local header begins. Their local
        // headers are read with their data (``contents(of:)``), not here: one read a member
        // instead of two, and none before the first sample (36,700 reads took 40 ms).
        let byOffset = members.indices.sorted { members[$0].localHeaderOffset < members[$1].localHeaderOffset }
        for (position, index) in byOffset.enumerated() {
            let next = position + 1 < byOffset.count ? byOffset[position + 1] : nil
            members[index].end = next.map { members[$0].localHeaderOffset } ?? directoryOffset
            if let next, members[index].localHeaderOffset + 30 + members[index].compressedSize > members[index].end {
                throw fail("members \(members[index].name) and \(members[next].name) overlap: refused")
            }
        }
        self.members = members
    }

    /// Refuses a member name that climbs out of the archive or is absolute.
    static func checkName(_ name: String, archive: String) throws {
        // Byte by byte (one call a member, tens of thousands in a log): an absolute name, a
        // drive letter, or a ".." part between separators is refused.
        var climbs = false, dots = 0, partLength = 0
        for byte in name.utf8 {
            if byte == UInt8(ascii: "/") || byte == UInt8(ascii: "\\") {
                if dots == 2 && partLength == 2 { climbs = true }
                dots = 0; partLength = 0
            } else {
                partLength += 1
                if byte == UInt8(ascii: ".") { dots += 1 }
                if byte == UInt8(ascii: ":") { climbs = true }
            }
        }
        if dots == 2 && partLength == 2 { climbs = true }
        let first = name.utf8.first
        guard first != UInt8(ascii: "/"), first != UInt8(ascii: "\\"), !climbs else {
            throw IngestError(.malformed, "\(archive): member name \(name.debugDescription) leaves the archive's folder: refused")
        }
    }

    /// A member's bytes, inflated and checked against its declared size and CRC-32.
    ///
    /// - Throws: ``IngestError`` naming the archive and the member.
    func contents(of member: Member) throws -> [UInt8] {
        func fail(_ message: String) -> IngestError { IngestError(.malformed, "\(name): member \(member.name): \(message)") }
        // The local header and, when its name and extra field are as long as the central
        // directory says (they are, as writers make them), the data in the same read.
        let available = member.end - member.localHeaderOffset
        var piece = try Self.read(descriptor, at: member.localHeaderOffset, count: min(available, member.expectedHeaderLength + member.compressedSize), name: name)
        guard piece.count >= 30, Self.u32(piece, 0) == 0x0403_4B50, Self.u16(piece, 8) == member.method else {
            throw fail("its local header is missing or disagrees with the central directory")
        }
        let headerLength = 30 + Int(Self.u16(piece, 26)) + Int(Self.u16(piece, 28))
        guard headerLength + member.compressedSize <= available else { throw fail("its data and the next member's local header overlap: refused") }
        let compressed: [UInt8]
        if headerLength == member.expectedHeaderLength {
            piece.removeFirst(headerLength)
            compressed = piece
        } else {
            compressed = try Self.read(descriptor, at: member.localHeaderOffset + headerLength, count: member.compressedSize, name: name)
        }
        let bytes: [UInt8]
        switch member.method {
        case 0:
            guard member.compressedSize == member.size else { throw fail("stored with \(member.compressedSize) bytes, declared \(member.size)") }
            bytes = compressed
        case 8:
            bytes = try inflate(compressed, declared: member.size, fail: fail)
        default:
            throw IngestError(.unsupported, "\(name): member \(member.name) uses compression method \(member.method) (remedy reads stored and deflated members)")
        }
        let crc = bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, uInt($0.count))) }
        guard crc == member.crc32 else { throw fail("its CRC-32 is \(String(crc, radix: 16)), not the declared \(String(member.crc32, radix: 16)): damaged") }
        return bytes
    }

    /// Raw deflate into exactly `declared` bytes, 64 KiB at a time: more is a bomb (stopped
    /// as soon as it shows), less a damaged member. The output grows as it fills, so a member
    /// that lies about its size costs what it really inflates to, never its claim.
    private func inflate(_ input: [UInt8], declared: Int, fail: (String) -> IngestError) throws -> [UInt8] {
        var stream = z_stream()
        guard remedy_inflate_init_raw(&stream) == Z_OK else { throw IngestError(.unreadable, "\(name): zlib cannot start an inflate stream") }
        defer { inflateEnd(&stream) }
        if declared < limits.inflatedInOneCall {
            return try inflateInOneCall(input, declared: declared, stream: &stream, fail: fail)
        }
        let chunk = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1 << 16)
        defer { chunk.deallocate() }
        var output: [UInt8] = []
        output.reserveCapacity(min(declared + 1, 1 << 20))
        var rc = Z_OK
        try input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = uInt(source.count)
            while rc == Z_OK {
                stream.next_out = chunk.baseAddress
                stream.avail_out = uInt(chunk.count)
                rc = CZlib.inflate(&stream, Z_NO_FLUSH)
                output.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[0..<(chunk.count - Int(stream.avail_out))]))
                guard output.count <= declared else { throw fail("inflates beyond its declared \(declared) bytes: refused as a deflate bomb") }
            }
        }
        guard rc == Z_STREAM_END else {
            throw fail(rc == Z_DATA_ERROR ? "its deflate data is damaged" : "its deflate data ends early (\(output.count) of \(declared) bytes)")
        }
        guard output.count == declared else { throw fail("inflates to \(output.count) bytes, not the declared \(declared)") }
        return output
    }

    /// A member declared smaller than ``Limits/inflatedInOneCall`` inflates straight into a
    /// buffer of its declared size plus one byte (filling that byte shows a bomb), in one call
    /// that finishes the stream: no 64 KiB chunk, no copy of it, and no 32 KiB window, which
    /// zlib keeps only for a stream it expects to go on.
    private func inflateInOneCall(_ input: [UInt8], declared: Int, stream: inout z_stream, fail: (String) -> IngestError) throws -> [UInt8] {
        var rc = Z_OK
        let output = [UInt8](unsafeUninitializedCapacity: declared + 1) { target, count in
            input.withUnsafeBufferPointer { source in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                rc = CZlib.inflate(&stream, Z_FINISH)
            }
            count = target.count - Int(stream.avail_out)
        }
        guard output.count <= declared else { throw fail("inflates beyond its declared \(declared) bytes: refused as a deflate bomb") }
        guard rc == Z_STREAM_END else {
            throw fail(rc == Z_DATA_ERROR ? "its deflate data is damaged" : "its deflate data ends early (\(output.count) of \(declared) bytes)")
        }
        guard output.count == declared else { throw fail("inflates to \(output.count) bytes, not the declared \(declared)") }
        return output
    }

    private static func read(_ descriptor: Int32, at offset: Int, count: Int, name: String) throws -> [UInt8] {
        guard count > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { readSome(descriptor, UnsafeMutableRawBufferPointer(rebasing: $0[done...]), at: offset + done) }
            if got < 0 { throw IngestError(.unreadable, "cannot read \(name): \(String(cString: strerror(errno)))") }
            guard got > 0 else { throw IngestError(.malformed, "\(name): the archive ends early (truncated)") }
            done += got
        }
        return bytes
    }

    private static func u16(_ bytes: [UInt8], _ at: Int) -> UInt16 { UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8 }
    private static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 { UInt32(u16(bytes, at)) | UInt32(u16(bytes, at + 2)) << 16 }
    /// A 64-bit field, as an Int; values beyond Int.max read as -1 (refused by the checks).
    private static func u64(_ bytes: [UInt8], _ at: Int) -> Int {
        let value = UInt64(u32(bytes, at)) | UInt64(u32(bytes, at + 4)) << 32
        return value > UInt64(Int.max) ? -1 : Int(value)
    }
}
