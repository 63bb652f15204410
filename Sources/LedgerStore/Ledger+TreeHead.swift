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
