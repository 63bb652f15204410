/// The kept interior hashes of the integrity tree (``KeptTreeNodes``) in the `tree_nodes`
/// table: proofs over a million events take well under a millisecond of reading, where
/// recomputing from the leaves would read them all.
enum TreeNodes {
    /// Records a node the append completed, when its height is one the ledger keeps.
    static func record(height: Int, index: Int, hash: TreeHash, in connection: SQLiteConnection) throws {
        guard KeptTreeNodes.isKept(height: height) else { return }
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

extension StoredTree {
    /// The tree of a SQLite ledger as of its saved state: heads from `tree_heads`, leaf hashes
    /// from `events`, kept nodes from `tree_nodes`.
    init(connection: SQLiteConnection, size: Int, keepsNodes: Bool, location: String) {
        self.init(size: size, keepsNodes: keepsNodes, location: location, recordedRoot: { size in
            let recorded = try connection.cachedStatement("SELECT root FROM tree_heads WHERE size = ?")
            defer { recorded.reset() }
            recorded.bind(size, at: 1)
            return try recorded.step() ? TreeHash(bytes: recorded.blobBuffer(0)) : nil
        }, hashes: { height, first, count in
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
            var out: [TreeHash?] = []
            out.reserveCapacity(count)
            while try statement.step() { out.append(TreeHash(bytes: statement.blobBuffer(0))) }
            return out
        })
    }
}
