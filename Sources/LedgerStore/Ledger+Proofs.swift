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
        try reading("read") {
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
            return TreeHead(size: size, root: try storedTree().subtree(0, size))
        }
    }

    /// The inclusion proof of the event at `position` in the tree of `size` events (the
    /// whole ledger for nil): a few short reads, whatever the ledger's size.
    ///
    /// - Throws: ``LedgerError`` (`.eventNotFound`) when the position or size is outside the ledger.
    public func inclusionProof(position: Int, size: Int? = nil) throws -> InclusionProof {
        try reading("read") {
            let total = try storedRange().size
            let size = size ?? total
            guard size >= 1, size <= total else {
                throw LedgerError(.eventNotFound, "no tree of size \(size): the ledger has \(total) events")
            }
            guard position >= 1, position <= size else {
                throw LedgerError(.eventNotFound, "no event at position \(position) in the tree of size \(size)")
            }
            let tree = try storedTree()
            let leaf = try tree.perfect(height: 0, index: position - 1)
            let hashes = try MerkleProof.inclusionPath(index: position - 1, size: size) { try tree.subtree($0, $1) }
            return InclusionProof(index: position - 1, size: size, leafHash: leaf, hashes: hashes)
        }
    }

    /// The consistency proof from the tree of `from` events to the tree of `to` events (the
    /// whole ledger for nil).
    ///
    /// - Throws: ``LedgerError`` (`.eventNotFound`) for sizes outside `1...to`, `to` beyond the ledger.
    public func consistencyProof(from: Int, to: Int? = nil) throws -> ConsistencyProof {
        try reading("read") {
            let total = try storedRange().size
            let to = to ?? total
            guard to <= total else { throw LedgerError(.eventNotFound, "no tree of size \(to): the ledger has \(total) events") }
            guard from >= 1, from <= to else {
                throw LedgerError(.eventNotFound, "a consistency proof goes from a size of 1 to \(to), not from \(from)")
            }
            let tree = try storedTree()
            let hashes = try MerkleProof.consistencyPath(from: from, to: to) { try tree.subtree($0, $1) }
            return ConsistencyProof(from: from, to: to, hashes: hashes)
        }
    }

    func storedTree() throws -> StoredTree {
        StoredTree(connection: connection, keepsNodes: try hasTable("tree_nodes"), location: location.path)
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
