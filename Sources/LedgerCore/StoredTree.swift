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

/// A ledger's tree as a store keeps it: its size, the heads recorded at commits, leaf hashes
/// and kept nodes (``KeptTreeNodes``). From them come tree heads of any size and inclusion and
/// consistency proofs: the arithmetic, the range checks and the error messages are the same for
/// every store, which only says how to read.
///
/// ```swift
/// let tree = StoredTree(size: 300, keepsNodes: true, location: "ci.db",
///                       recordedRoot: { size in try readRecordedRoot(size) },
///                       hashes: { height, first, count in try readHashes(height, first, count) })
/// let proof = try tree.inclusionProof(position: 17, size: nil)
/// ```
package struct StoredTree {
    /// The number of events the tree covers (the ledger's size as of the read).
    package let size: Int
    /// Whether the store has kept nodes (a SQLite ledger opened read-only before their
    /// migration has not): without them, every subtree is folded from leaves.
    package let keepsNodes: Bool
    /// The ledger as messages name it.
    package let location: String
    /// The root recorded at a commit that left the tree at `size`, or nil.
    package let recordedRoot: (_ size: Int) throws -> TreeHash?
    /// Up to `count` consecutive stored hashes of one height from index `first`: leaf hashes
    /// for height 0, kept nodes above; nil for one that is not 32 bytes.
    package let hashes: (_ height: Int, _ first: Int, _ count: Int) throws -> [TreeHash?]

    package init(size: Int, keepsNodes: Bool, location: String, recordedRoot: @escaping (_ size: Int) throws -> TreeHash?,
                 hashes: @escaping (_ height: Int, _ first: Int, _ count: Int) throws -> [TreeHash?]) {
        self.size = size
        self.keepsNodes = keepsNodes
        self.location = location
        self.recordedRoot = recordedRoot
        self.hashes = hashes
    }

    /// The tree head over the first `size` events: a recorded one, else computed.
    ///
    /// - Throws: ``LedgerError`` (`.eventNotFound`) when `size` is beyond the ledger.
    package func treeHead(size headSize: Int) throws -> TreeHead {
        guard headSize >= 0, headSize <= size else {
            throw LedgerError(.eventNotFound, "no tree head of size \(headSize): the ledger has \(size) events")
        }
        if headSize == 0 { return TreeHead(size: 0, root: MerkleTree.emptyRoot) }
        return TreeHead(size: headSize, root: try recordedRoot(headSize) ?? subtree(0, headSize))
    }

    /// The inclusion proof of the event at `position` in the tree of `size` events (the
    /// whole tree for nil).
    ///
    /// - Throws: ``LedgerError`` (`.eventNotFound`) when the position or size is outside the ledger.
    package func inclusionProof(position: Int, size proofSize: Int?) throws -> InclusionProof {
        let proofSize = proofSize ?? size
        guard proofSize >= 1, proofSize <= size else {
            throw LedgerError(.eventNotFound, "no tree of size \(proofSize): the ledger has \(size) events")
        }
        guard position >= 1, position <= proofSize else {
            throw LedgerError(.eventNotFound, "no event at position \(position) in the tree of size \(proofSize)")
        }
        let leaf = try perfect(height: 0, index: position - 1)
        let path = try MerkleProof.inclusionPath(index: position - 1, size: proofSize) { try subtree($0, $1) }
        return InclusionProof(index: position - 1, size: proofSize, leafHash: leaf, hashes: path)
    }

    /// The consistency proof from the tree of `from` events to the tree of `to` events (the
    /// whole tree for nil).
    ///
    /// - Throws: ``LedgerError`` (`.eventNotFound`) for sizes outside `1...to`, `to` beyond the ledger.
    package func consistencyProof(from: Int, to: Int?) throws -> ConsistencyProof {
        let to = to ?? size
        guard to <= size else { throw LedgerError(.eventNotFound, "no tree of size \(to): the ledger has \(size) events") }
        guard from >= 1, from <= to else {
            throw LedgerError(.eventNotFound, "a consistency proof goes from a size of 1 to \(to), not from \(from)")
        }
        return ConsistencyProof(from: from, to: to, hashes: try MerkleProof.consistencyPath(from: from, to: to) { try subtree($0, $1) })
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
        var level = try checkedHashes(height: base, first: first, count: span)
        while level.count > 1 {
            level = stride(from: 0, to: level.count, by: 2).map { MerkleTree.nodeHash(level[$0], level[$0 + 1]) }
        }
        return level[0]
    }

    /// The stored hashes, every one present and 32 bytes.
    private func checkedHashes(height: Int, first: Int, count: Int) throws -> [TreeHash] {
        let read = try hashes(height, first, count)
        guard read.count == count else {
            let what = height == 0 ? "leaf hashes of positions \(first + 1)-\(first + count)" : "tree nodes of height \(height) from \(first)"
            throw LedgerError(.corrupt, "the ledger \(location) lacks \(what); run `remedy verify`")
        }
        return try read.map { hash in
            guard let hash else { throw LedgerError(.corrupt, "a stored hash of the ledger \(location) is not 32 bytes; run `remedy verify`") }
            return hash
        }
    }
}
