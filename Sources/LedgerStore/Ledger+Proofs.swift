import CSQLite
import Events

extension Ledger {
    /// The tree head over the first `size` events, for any size from 0 to the ledger's size.
    ///
    /// Heads recorded at commits are read directly; any other size is computed from the kept
    /// tree nodes and at most a few hundred leaf hashes (``TreeNodes``).
    ///
    /// - Throws: ``LedgerError`` (`.eventNotFound`) when `size` is beyond the ledger.
    public func treeHead(size: Int) throws -> TreeHead {
        try reading("read") { try storedTree().treeHead(size: size) }
    }

    /// The inclusion proof of the event at `position` in the tree of `size` events (the
    /// whole ledger for nil): a few short reads, whatever the ledger's size.
    ///
    /// - Throws: ``LedgerError`` (`.eventNotFound`) when the position or size is outside the ledger.
    public func inclusionProof(position: Int, size: Int? = nil) throws -> InclusionProof {
        try reading("read") { try storedTree().inclusionProof(position: position, size: size) }
    }

    /// The consistency proof from the tree of `from` events to the tree of `to` events (the
    /// whole ledger for nil).
    ///
    /// - Throws: ``LedgerError`` (`.eventNotFound`) for sizes outside `1...to`, `to` beyond the ledger.
    public func consistencyProof(from: Int, to: Int? = nil) throws -> ConsistencyProof {
        try reading("read") { try storedTree().consistencyProof(from: from, to: to) }
    }

    /// The tree as of the saved state (call inside a read transaction).
    func storedTree() throws -> StoredTree {
        StoredTree(connection: connection, size: try storedRange().size, keepsNodes: try hasTable("tree_nodes"), location: location.path)
    }

    func hasTable(_ name: String) throws -> Bool {
        try connection.scalarInt("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", .text(name)) == 1
    }

    /// Runs `body` in one read transaction: everything it reads is as of one commit, whatever
    /// other processes commit meanwhile.
    ///
    /// - Throws: ``LedgerError``, or what `body` throws.
    public func readTransaction<T>(_ body: () throws -> T) throws -> T {
        try reading("read", body)
    }

    /// Runs `body` in a read transaction, so what it reads agrees with itself; inside a
    /// transaction already (a writer's), in that one.
    func reading<T>(_ action: String, _ body: () throws -> T) throws -> T {
        try mapErrors(action) {
            guard sqlite3_get_autocommit(connection.handle) != 0 else { return try body() }
            try connection.execute("BEGIN")
            defer { try? connection.execute("COMMIT") }
            return try body()
        }
    }
}
