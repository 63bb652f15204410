/// The right edge of a growing Merkle tree: the roots of its perfect subtrees, largest first.
///
/// A tree of size n is the binary decomposition of n into perfect subtrees (for 13 = 8+4+1,
/// three of them). Appending a leaf merges equal-sized subtrees, one node hash per merge, so
/// the ledger keeps a tree head for every commit at an amortized cost of one extra hash per
/// event, and saves this state (at most 64 hashes) so the next append can go on from it.
/// The root folds the subtrees right to left, which is exactly RFC 9162 §2.1.1's MTH.
public struct CompactRange: Sendable, Equatable {
    /// The number of leaves appended.
    public private(set) var size: Int = 0
    /// Perfect-subtree roots, one per set bit of `size`, largest first.
    public private(set) var hashes: [TreeHash] = []

    public init() {}

    /// Restores a range from its serialized hashes (as ``serialized`` wrote them).
    ///
    /// Returns nil if the number of hashes does not match the bits of `size`.
    public init?(size: Int, serialized: [UInt8]) {
        guard size >= 0, serialized.count == size.nonzeroBitCount * 32 else { return nil }
        self.size = size
        hashes = stride(from: 0, to: serialized.count, by: 32).map {
            TreeHash(bytes: serialized[$0..<($0 + 32)])!
        }
    }

    /// The hashes concatenated, for storage.
    public var serialized: [UInt8] { hashes.flatMap(\.bytes) }

    /// Appends one leaf hash.
    public mutating func append(_ leaf: TreeHash) {
        append(leaf) { _, _, _ in }
    }

    /// Appends one leaf hash, passing each interior node the append completes to `completed`:
    /// its height (1 for a parent of two leaves), its index among the nodes of that height,
    /// and its hash. The ledger keeps some of them so proofs need not read every leaf.
    public mutating func append(_ leaf: TreeHash, completed: (_ height: Int, _ index: Int, _ hash: TreeHash) throws -> Void) rethrows {
        var hash = leaf
        var merged = size
        var height = 0
        while merged & 1 == 1 {
            hash = MerkleTree.nodeHash(hashes.removeLast(), hash)
            merged >>= 1
            height += 1
            try completed(height, size >> height, hash)
        }
        hashes.append(hash)
        size += 1
    }

    /// The root of the tree so far (RFC 9162 §2.1.1), the empty root for size 0.
    public var root: TreeHash {
        guard var hash = hashes.last else { return MerkleTree.emptyRoot }
        for left in hashes.dropLast().reversed() {
            hash = MerkleTree.nodeHash(left, hash)
        }
        return hash
    }
}
