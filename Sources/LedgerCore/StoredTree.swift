/// Which interior hashes of the integrity tree a ledger keeps: the roots of its perfect
/// subtrees of height 8, 16, 24, ... (256, 65,536, ... leaves), written by the append that
/// completes each, in every store.
///
/// With the leaf hashes beside each event, they make any subtree's hash a few short range
/// reads: a perfect subtree of height h is folded from at most 128 hashes of the kept height
/// just below it (or of leaves). They cost one row per 256 events.
package enum KeptTreeNodes {
    /// Every height that is a multiple of this is kept.
    package static let stride = 8

    package static func isKept(height: Int) -> Bool { height % stride == 0 }
}

/// Subtree hashes of a ledger's tree, `MTH(D[lo:hi])`, from its leaf hashes and kept nodes
/// (``KeptTreeNodes``): what ``MerkleProof`` needs to make a proof, and what tree heads of any
/// size are. The store says how to read hashes; the arithmetic is the same for every store.
///
/// ```swift
/// let tree = StoredTree(keepsNodes: true) { height, first, count in try readHashes(height, first, count) }
/// let root = try tree.subtree(0, 300)
/// ```
package struct StoredTree {
    /// Whether the store has kept nodes (a SQLite ledger opened read-only before their
    /// migration has not): without them, every subtree is folded from leaves.
    package let keepsNodes: Bool
    /// `count` consecutive hashes of one height from index `first`: leaf hashes for height 0,
    /// kept nodes above. Throws when any is missing or damaged.
    package let hashes: (_ height: Int, _ first: Int, _ count: Int) throws -> [TreeHash]

    package init(keepsNodes: Bool, hashes: @escaping (_ height: Int, _ first: Int, _ count: Int) throws -> [TreeHash]) {
        self.keepsNodes = keepsNodes
        self.hashes = hashes
    }

    /// `MTH(D[lo:hi])` over the 0-based leaf indices `lo..<hi` (RFC 9162 §2.1.1).
    package func subtree(_ lo: Int, _ hi: Int) throws -> TreeHash {
        let count = hi - lo
        if count == 0 { return MerkleTree.emptyRoot }
        if count & (count - 1) == 0 && lo % count == 0 {
            return try perfect(height: count.trailingZeroBitCount, index: lo / count)
        }
        let k = MerkleProof.largestPowerOfTwo(below: count)
        return MerkleTree.nodeHash(try subtree(lo, lo + k), try subtree(lo + k, hi))
    }

    /// The root of the perfect subtree of `height` at `index` among those of its height.
    package func perfect(height: Int, index: Int) throws -> TreeHash {
        let base = keepsNodes ? height - height % KeptTreeNodes.stride : 0
        let span = 1 << (height - base)
        let first = index << (height - base)
        var level = try hashes(base, first, span)
        while level.count > 1 {
            level = stride(from: 0, to: level.count, by: 2).map { MerkleTree.nodeHash(level[$0], level[$0 + 1]) }
        }
        return level[0]
    }
}
