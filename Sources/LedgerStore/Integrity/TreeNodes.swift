/// The interior hashes of the integrity tree that the ledger keeps: the roots of its perfect
/// subtrees of height 8, 16, 24, ... (256, 65,536, ... leaves), in the `tree_nodes` table.
///
/// With the leaf hashes beside each event, they make any subtree's hash a few short range
/// reads: a perfect subtree of height h is folded from at most 128 hashes of the kept height
/// just below it (or of leaves). Proofs over a million events then take well under a
/// millisecond of reading, where recomputing from the leaves would read them all. They cost
/// one row per 256 events, written by the append that completes each subtree.
enum TreeNodes {
    /// Every height that is a multiple of this is kept.
    static let stride = 8

    static func isKept(height: Int) -> Bool { height % stride == 0 }

    /// Records a node the append completed, when its height is one the ledger keeps.
    static func record(height: Int, index: Int, hash: TreeHash, in connection: SQLiteConnection) throws {
        guard isKept(height: height) else { return }
        let insert = try connection.cachedStatement("INSERT INTO tree_nodes (height, idx, hash) VALUES (?, ?, ?)")
        insert.bind(height, at: 1)
        insert.bind(index, at: 2)
        insert.bind(blob: hash, at: 3)
        try insert.run()
    }

    /// Writes the kept nodes of a ledger that had none (one pass over its leaf hashes): the
    /// migration that introduced them.
    static func backfill(_ connection: SQLiteConnection) throws {
        var range = CompactRange()
        let leaves = try connection.prepare("SELECT leaf_hash FROM events ORDER BY position")
        while try leaves.step() {
            guard let leaf = TreeHash(bytes: leaves.blobBuffer(0)) else {
                throw LedgerError(.corrupt, "the leaf hash at position \(range.size + 1) is not 32 bytes; run `remedy verify`")
            }
            try range.append(leaf) { height, index, hash in
                try record(height: height, index: index, hash: hash, in: connection)
            }
        }
    }
}

/// Subtree hashes of a ledger's tree, `MTH(D[lo:hi])`, read from its leaf hashes and kept
/// nodes: what ``MerkleProof`` needs to make a proof, and what tree heads of any size are.
struct StoredTree {
    let connection: SQLiteConnection
    /// Whether the file has kept nodes (a ledger opened read-only before its migration has not).
    let keepsNodes: Bool
    let location: String

    /// `MTH(D[lo:hi])` over the 0-based leaf indices `lo..<hi` (RFC 9162 §2.1.1).
    func subtree(_ lo: Int, _ hi: Int) throws -> TreeHash {
        let count = hi - lo
        if count == 0 { return MerkleTree.emptyRoot }
        if count & (count - 1) == 0 && lo % count == 0 {
            return try perfect(height: count.trailingZeroBitCount, index: lo / count)
        }
        let k = MerkleProof.largestPowerOfTwo(below: count)
        return MerkleTree.nodeHash(try subtree(lo, lo + k), try subtree(lo + k, hi))
    }

    /// The root of the perfect subtree of `height` at `index` among those of its height.
    func perfect(height: Int, index: Int) throws -> TreeHash {
        let base = keepsNodes ? height - height % TreeNodes.stride : 0
        let span = 1 << (height - base)
        let first = index << (height - base)
        var level = try hashes(height: base, from: first, count: span)
        while level.count > 1 {
            level = stride(from: 0, to: level.count, by: 2).map { MerkleTree.nodeHash(level[$0], level[$0 + 1]) }
        }
        return level[0]
    }

    /// `count` consecutive hashes of one height from `first`: leaf hashes for height 0.
    private func hashes(height: Int, from first: Int, count: Int) throws -> [TreeHash] {
        let statement: SQLiteStatement
        if height == 0 {
            statement = try connection.cachedStatement("SELECT leaf_hash FROM events WHERE position BETWEEN ? AND ? ORDER BY position")
            statement.bind(first + 1, at: 1)
            statement.bind(first + count, at: 2)
        } else {
            statement = try connection.cachedStatement("SELECT hash FROM tree_nodes WHERE height = ? AND idx BETWEEN ? AND ? ORDER BY idx")
            statement.bind(height, at: 1)
            statement.bind(first, at: 2)
            statement.bind(first + count - 1, at: 3)
        }
        defer { statement.reset() }
        var out: [TreeHash] = []
        out.reserveCapacity(count)
        while try statement.step() {
            guard let hash = TreeHash(bytes: statement.blobBuffer(0)) else {
                throw LedgerError(.corrupt, "a stored hash of the ledger \(location) is not 32 bytes; run `remedy verify`")
            }
            out.append(hash)
        }
        guard out.count == count else {
            let what = height == 0 ? "leaf hashes of positions \(first + 1)-\(first + count)" : "tree nodes of height \(height) from \(first)"
            throw LedgerError(.corrupt, "the ledger \(location) lacks \(what); run `remedy verify`")
        }
        return out
    }
}
