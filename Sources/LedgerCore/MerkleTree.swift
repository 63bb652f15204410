import Crypto

/// The hashes of RFC 9162's Merkle tree (§2.1): leaves and interior nodes, with SHA-256.
///
/// Domain separation keeps a leaf from ever being mistaken for a node: a leaf hash is
/// `SHA-256(0x00 ‖ bytes)`, a node hash `SHA-256(0x01 ‖ left ‖ right)`, and the empty tree's
/// root is `SHA-256("")`. See <https://www.rfc-editor.org/rfc/rfc9162#section-2.1.1>.
public enum MerkleTree {
    /// The hash of one leaf's stored bytes (RFC 9162 §2.1.1).
    public static func leafHash(_ bytes: UnsafeRawBufferPointer) -> TreeHash {
        var hasher = SHA256()
        withUnsafeBytes(of: UInt8(0)) { hasher.update(bufferPointer: $0) }
        hasher.update(bufferPointer: bytes)
        return TreeHash(hasher.finalize())
    }

    /// The hash of one leaf's stored bytes (RFC 9162 §2.1.1).
    public static func leafHash(_ bytes: [UInt8]) -> TreeHash {
        bytes.withUnsafeBytes { leafHash($0) }
    }

    /// The hash of an interior node from its two children.
    public static func nodeHash(_ left: TreeHash, _ right: TreeHash) -> TreeHash {
        var hasher = SHA256()
        withUnsafeBytes(of: UInt8(1)) { hasher.update(bufferPointer: $0) }
        left.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        right.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return TreeHash(hasher.finalize())
    }

    /// The hash of an interior node from two arbitrary byte strings (for test vectors that use
    /// short placeholders instead of 32-byte hashes).
    public static func nodeHash(rawLeft: [UInt8], rawRight: [UInt8]) -> TreeHash {
        var hasher = SHA256()
        hasher.update(data: [1] + rawLeft + rawRight)
        return TreeHash(hasher.finalize())
    }

    /// The root of the empty tree: SHA-256 of nothing.
    public static let emptyRoot = TreeHash(SHA256.hash(data: [UInt8]()))

    /// The root of the tree over `leaves` (leaf hashes), by appending them one by one.
    public static func root(ofLeafHashes leaves: some Sequence<TreeHash>) -> TreeHash {
        var range = CompactRange()
        for leaf in leaves { range.append(leaf) }
        return range.root
    }
}
