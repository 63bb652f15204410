import Crypto
import Events

/// A 32-byte SHA-256 hash in the integrity tree: a leaf, a node or a root.
///
/// Stored inline (four words), so hashing a million leaves allocates nothing.
public struct TreeHash: Hashable, Sendable, CustomStringConvertible {
    private var words: (UInt64, UInt64, UInt64, UInt64)

    init(_ digest: SHA256Digest) {
        words = (0, 0, 0, 0)
        digest.withUnsafeBytes { source in
            withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: source) }
        }
    }

    /// Creates a hash from exactly 32 bytes, or nil.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        words = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &words) { target in
            for (offset, byte) in bytes.enumerated() { target[offset] = byte }
        }
    }

    /// Creates a hash from 64 hex digits, or nil.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(32)
        for i in stride(from: 0, to: 64, by: 2) {
            guard let byte = UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        self.init(bytes: bytes)
    }

    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words, body)
    }

    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Lowercase hex, 64 digits.
    public var hex: String { withUnsafeBytes { $0.lowercaseHex } }

    public var description: String { hex }

    public static func == (lhs: TreeHash, rhs: TreeHash) -> Bool {
        lhs.words == rhs.words
    }

    public func hash(into hasher: inout Hasher) {
        withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}

