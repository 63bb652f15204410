/// What a bundle reader accepts at most: caps that turn a gzip or tar bomb into a clear error
/// long before it fills a disk or memory.
public struct BundleLimits: Sendable, Equatable {
    /// The most bytes the archive may inflate to.
    public var maximumInflatedSize: Int
    /// The most bytes inflated per compressed byte, checked once a MiB is out. Bundles
    /// compress about 7:1; a bomb of zeros, 1000:1.
    public var maximumRatio: Int
    /// The most members (a bundle has about twenty).
    public var maximumMembers: Int

    public init(maximumInflatedSize: Int = 64 << 30, maximumRatio: Int = 100, maximumMembers: Int = 10_000) {
        self.maximumInflatedSize = maximumInflatedSize
        self.maximumRatio = maximumRatio
        self.maximumMembers = maximumMembers
    }

    public static let `default` = BundleLimits()
}

/// Receives a tar archive's members as ``TarReader`` finds them.
protocol TarMemberHandler {
    mutating func beginMember(name: String, size: Int) throws
    mutating func memberData(_ bytes: UnsafeRawBufferPointer) throws
    mutating func endMember() throws
}

/// Reads a ustar archive from a stream of chunks, strictly: regular files only (no links,
/// folders, devices or extended headers), no absolute names, no `..`, no member twice, valid
/// checksums, nothing after the end-of-archive marker but zeros.
struct TarReader {
    private enum State {
        case header
        case data(remaining: Int, padding: Int)
        case padding(remaining: Int)
        /// After the first zero block: how many zero bytes followed it (the end is two blocks).
        case end(zeroBytes: Int)
    }

    private let limits: BundleLimits
    private var state = State.header
    private var header: [UInt8] = []
    private var names = Set<String>()
    private var current = ""
    private var offset = 0

    init(limits: BundleLimits) {
        self.limits = limits
        header.reserveCapacity(TarHeader.blockSize)
    }

    /// Feeds the next bytes of the archive.
    ///
    /// - Throws: ``BundleError`` (`.verificationFailed`) naming what is wrong, or what the handler throws.
    mutating func feed<Handler: TarMemberHandler>(_ chunk: UnsafeRawBufferPointer, to handler: inout Handler) throws {
        var index = 0
        while index < chunk.count {
            switch state {
            case .header:
                let take = min(TarHeader.blockSize - header.count, chunk.count - index)
                header.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[index..<(index + take)]))
                index += take
                guard header.count == TarHeader.blockSize else { continue }
                if header.allSatisfy({ $0 == 0 }) {
                    state = .end(zeroBytes: 0)
                } else {
                    let (name, size) = try parseHeader(header)
                    current = name
                    try handler.beginMember(name: name, size: size)
                    state = size == 0 ? .padding(remaining: 0) : .data(remaining: size, padding: TarHeader.padding(after: size))
                    if size == 0 {
                        try handler.endMember()
                        state = .header
                    }
                }
                offset += TarHeader.blockSize
                header.removeAll(keepingCapacity: true)
            case .data(let remaining, let padding):
                let take = min(remaining, chunk.count - index)
                try handler.memberData(UnsafeRawBufferPointer(rebasing: chunk[index..<(index + take)]))
                index += take
                offset += take
                if take == remaining {
                    try handler.endMember()
                    state = padding == 0 ? .header : .padding(remaining: padding)
                } else {
                    state = .data(remaining: remaining - take, padding: padding)
                }
            case .padding(let remaining):
                let take = min(remaining, chunk.count - index)
                index += take
                offset += take
                state = take == remaining ? .header : .padding(remaining: remaining - take)
            case .end(let zeroBytes):
                // After the end marker: only zeros (the record padding), never another member.
                let rest = UnsafeRawBufferPointer(rebasing: chunk[index...])
                if rest.contains(where: { $0 != 0 }) {
                    throw BundleError.failed("the archive", "data after the end-of-archive marker (a member hidden behind it?)")
                }
                offset += rest.count
                state = .end(zeroBytes: zeroBytes + rest.count)
                index = chunk.count
            }
        }
    }

    /// Checks the archive ended where it should: after its end-of-archive marker.
    ///
    /// - Throws: ``BundleError`` (`.verificationFailed`) for an archive cut short.
    func finish() throws {
        switch state {
        case .end(let zeroBytes) where zeroBytes >= TarHeader.blockSize: return
        case .end: throw BundleError.failed("the archive", "truncated: it ends inside its end-of-archive marker")
        case .header where header.isEmpty && offset == 0: throw BundleError.failed("the archive", "empty: no members")
        case .header: throw BundleError.failed("the archive", "truncated: it ends without an end-of-archive marker")
        case .data(let remaining, _): throw BundleError.failed(current, "truncated: \(remaining) bytes of the member are missing")
        case .padding: throw BundleError.failed(current, "truncated inside the member's padding")
        }
    }

    private mutating func parseHeader(_ block: [UInt8]) throws -> (String, Int) {
        let raw = Self.string(block[0..<100])
        let where_ = raw.isEmpty ? "a member header at byte \(offset)" : "member \(raw)"
        var sum = 0
        for (index, byte) in block.enumerated() { sum += (148..<156).contains(index) ? 32 : Int(byte) }
        guard let stated = Self.octal(block[148..<156]), stated == sum else {
            throw BundleError.failed(where_, "the header's checksum does not match (not a tar archive, or a damaged one)")
        }
        guard Array(block[257..<263]) == Array("ustar\0".utf8), Array(block[263..<265]) == Array("00".utf8) else {
            throw BundleError.failed(where_, "not a POSIX ustar header")
        }
        let prefix = Self.string(block[345..<500])
        let name = prefix.isEmpty ? raw : prefix + "/" + raw
        switch block[156] {
        case UInt8(ascii: "0"), 0: break
        case UInt8(ascii: "1"): throw BundleError.failed("member \(name)", "a hard link; a bundle holds regular files only")
        case UInt8(ascii: "2"): throw BundleError.failed("member \(name)", "a symbolic link; a bundle holds regular files only")
        case UInt8(ascii: "5"): throw BundleError.failed("member \(name)", "a folder entry; a bundle holds regular files only")
        case UInt8(ascii: "x"), UInt8(ascii: "g"): throw BundleError.failed("member \(name)", "an extended (pax) header; a bundle holds regular files only")
        case let type: throw BundleError.failed("member \(name)", "of type '\(Character(Unicode.Scalar(type)))'; a bundle holds regular files only")
        }
        try Self.checkName(name)
        guard names.insert(name).inserted else { throw BundleError.failed("member \(name)", "appears twice") }
        guard names.count <= limits.maximumMembers else {
            throw BundleError.failed("the archive", "more than \(limits.maximumMembers) members: refused as a tar bomb")
        }
        guard block[124] & 0x80 == 0, let size = Self.octal(block[124..<136]) else {
            throw BundleError.failed("member \(name)", "its size field is not an octal number")
        }
        guard size <= limits.maximumInflatedSize else {
            throw BundleError.failed("member \(name)", "claims \(size) bytes, more than the limit of \(limits.maximumInflatedSize)")
        }
        return (name, size)
    }

    /// Relative, normalized names only: no absolute path, no `.` or `..`, no empty part.
    static func checkName(_ name: String) throws {
        guard !name.isEmpty else { throw BundleError.failed("a member", "has an empty name") }
        if name.unicodeScalars.contains(where: { $0 == "\u{FFFD}" || $0.value < 0x20 || $0 == "\\" }) {
            throw BundleError.failed("member \(name)", "has a name that is not plain UTF-8 text")
        }
        if name.hasPrefix("/") { throw BundleError.failed("member \(name)", "has an absolute path; a bundle's members are relative") }
        for part in name.split(separator: "/", omittingEmptySubsequences: false) {
            if part == ".." { throw BundleError.failed("member \(name)", "climbs out of the bundle (..)") }
            if part.isEmpty || part == "." { throw BundleError.failed("member \(name)", "is not a normalized path") }
        }
    }

    /// A NUL-terminated field; names that are not UTF-8 keep a replacement character, which
    /// ``checkName(_:)`` then refuses.
    private static func string(_ bytes: ArraySlice<UInt8>) -> String {
        let end = bytes.firstIndex(of: 0) ?? bytes.endIndex
        return String(validating: bytes[bytes.startIndex..<end], as: UTF8.self) ?? "\u{FFFD}" + String(decoding: bytes[bytes.startIndex..<end], as: UTF8.self)
    }

    /// An octal field: optional leading spaces, digits, then NUL or spaces.
    private static func octal(_ bytes: ArraySlice<UInt8>) -> Int? {
        var value = 0
        var digits = 0
        var ended = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7") where !ended:
                value = value * 8 + Int(byte - UInt8(ascii: "0"))
                digits += 1
                if value > Int(Int32.max) * 16 { return nil }
            case UInt8(ascii: " ") where digits == 0:
                continue
            case 0, UInt8(ascii: " "):
                ended = true
            default:
                return nil
            }
        }
        return digits > 0 ? value : nil
    }
}
