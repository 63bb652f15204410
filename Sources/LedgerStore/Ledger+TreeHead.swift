import Events

extension Ledger {
    /// The tree head over every event in the ledger.
    ///
    /// - Throws: ``LedgerError`` when the ledger cannot be read or its saved state is damaged.
    public func treeHead() throws -> TreeHead {
        try mapErrors("read") {
            let range = try storedRange()
            return TreeHead(size: range.size, root: range.root)
        }
    }

    /// The tree head over the first `size` events, for any size from 0 to the ledger's size.
    ///
    /// Heads recorded at commits are read directly; any other size is recomputed from the
    /// stored leaf hashes (linear in `size`, about a million leaves a second).
    ///
    /// - Throws: ``LedgerError`` (`.eventNotFound`) when `size` is beyond the ledger.
    public func treeHead(size: Int) throws -> TreeHead {
        try mapErrors("read") {
            let total = try storedRange().size
            guard size >= 0, size <= total else {
                throw LedgerError(.eventNotFound, "no tree head of size \(size): the ledger has \(total) events")
            }
            if size == 0 { return TreeHead(size: 0, root: MerkleTree.emptyRoot) }
            let recorded = try connection.cachedStatement("SELECT root FROM tree_heads WHERE size = ?")
            defer { recorded.reset() }
            recorded.bind(size, at: 1)
            if try recorded.step(), let root = TreeHash(bytes: recorded.blobBuffer(0)) {
                return TreeHead(size: size, root: root)
            }
            var range = CompactRange()
            let leaves = try connection.prepare("SELECT leaf_hash FROM events WHERE position <= ? ORDER BY position")
            leaves.bind(size, at: 1)
            while try leaves.step() {
                guard let leaf = TreeHash(bytes: leaves.blobBuffer(0)) else {
                    throw LedgerError(.corrupt, "a leaf hash at position \(range.size + 1) is not 32 bytes; run `remedy verify`")
                }
                range.append(leaf)
            }
            return TreeHead(size: size, root: range.root)
        }
    }

    /// The compact range saved by the last commit.
    func storedRange() throws -> CompactRange {
        let statement = try connection.cachedStatement("SELECT size, range FROM tree_state WHERE id = 1")
        defer { statement.reset() }
        guard try statement.step(), let range = CompactRange(size: statement.int(0), serialized: statement.blob(1)) else {
            throw LedgerError(.corrupt, "the ledger \(location.path) has no valid tree state; run `remedy verify`")
        }
        return range
    }
}
