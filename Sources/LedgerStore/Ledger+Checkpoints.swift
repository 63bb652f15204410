import Events

extension Ledger {
    /// Signs the ledger's current tree head as a checkpoint and stores the exact note bytes.
    ///
    /// Before signing, the head must extend the last stored checkpoint: the first `size`
    /// events must still hash to the root that checkpoint signed (checked with a consistency
    /// proof from the kept tree nodes, a few reads). Asked again with nothing appended since,
    /// it returns the stored checkpoint if `key` signed it.
    ///
    /// - Throws: ``LedgerError``: `.verificationFailed` when the head does not extend the last
    ///   checkpoint, `.conflict` when another key signed this size already or the origins
    ///   differ, `.invalidEvent` for an empty ledger.
    @discardableResult
    public func signCheckpoint(with key: NoteSignerKey) throws -> SignedCheckpoint {
        guard mode == .readWrite else { throw LedgerError(.readOnly, "the ledger \(location.path) was opened read-only") }
        return try mapErrors("sign a checkpoint of") {
            try transaction {
                let head = try treeHead()
                guard head.size > 0 else {
                    throw LedgerError(.invalidEvent, "the ledger \(location.path) is empty: there is nothing to sign yet")
                }
                let origin = try origin()
                if let last = try latestCheckpoint() {
                    try checkExtends(last, head: head, origin: origin)
                    if last.checkpoint.size == head.size {
                        guard last.note.signatures.contains(where: { $0.name == key.name && $0.keyID == key.verifier.keyID }) else {
                            let signers = last.note.signatures.map(\.name).joined(separator: ", ")
                            throw LedgerError(.conflict, "a checkpoint of size \(head.size) is stored already, signed by \(signers); append events before signing another")
                        }
                        return last
                    }
                }
                let signed = try SignedCheckpoint(signing: Checkpoint(origin: origin, size: head.size, root: head.root), with: key)
                try insertCheckpoint(signed)
                return signed
            }
        }
    }

    /// Checks that the ledger still extends a checkpoint: same origin, a size it has, and a
    /// consistency proof from that checkpoint's root to `head`.
    ///
    /// - Throws: ``LedgerError`` (`.verificationFailed`, or `.conflict` for another origin).
    func checkExtends(_ stored: SignedCheckpoint, head: TreeHead, origin: String) throws {
        let checkpoint = stored.checkpoint
        guard checkpoint.origin == origin else {
            throw LedgerError(.conflict, "the checkpoint of size \(checkpoint.size) is of origin \(checkpoint.origin), not this ledger's (\(origin))")
        }
        guard checkpoint.size <= head.size else {
            throw LedgerError(.verificationFailed, "the checkpoint signs \(checkpoint.size) events but the ledger has only \(head.size): events were removed")
        }
        guard checkpoint.size > 0 else {
            // Every tree extends the empty one; its root is the hash of nothing.
            guard checkpoint.root == MerkleTree.emptyRoot else {
                throw LedgerError(.verificationFailed, "the checkpoint of size 0 signs \(checkpoint.root.hex), not the empty tree's root")
            }
            return
        }
        let proof = try consistencyProof(from: checkpoint.size, to: head.size)
        do {
            try proof.verify(fromRoot: checkpoint.root, toRoot: head.root)
        } catch let error as LedgerError where error.code == .verificationFailed {
            throw LedgerError(.verificationFailed, "the ledger does not extend the checkpoint of size \(checkpoint.size): its first \(checkpoint.size) events no longer hash to the signed root \(checkpoint.root.hex); run `remedy verify`")
        }
    }

    /// Every stored checkpoint, smallest size first.
    ///
    /// - Throws: ``LedgerError`` (`.corrupt` for a stored note that does not parse).
    public func checkpoints() throws -> [SignedCheckpoint] {
        try reading("read") {
            guard try hasTable("checkpoints") else { return [] }
            let statement = try connection.cachedStatement("SELECT size, note FROM checkpoints ORDER BY size")
            defer { statement.reset() }
            var all: [SignedCheckpoint] = []
            while try statement.step() { all.append(try storedCheckpoint(size: statement.int(0), note: statement.blob(1))) }
            return all
        }
    }

    /// The stored checkpoint of `size`, or nil.
    public func checkpoint(size: Int) throws -> SignedCheckpoint? {
        try reading("read") {
            guard try hasTable("checkpoints") else { return nil }
            let statement = try connection.cachedStatement("SELECT note FROM checkpoints WHERE size = ?")
            defer { statement.reset() }
            statement.bind(size, at: 1)
            return try statement.step() ? try storedCheckpoint(size: size, note: statement.blob(0)) : nil
        }
    }

    /// The stored checkpoint of the largest size, or nil.
    public func latestCheckpoint() throws -> SignedCheckpoint? {
        try reading("read") {
            guard try hasTable("checkpoints"),
                  let size = try connection.scalarInt("SELECT max(size) FROM checkpoints") else { return nil }
            return try checkpoint(size: size)
        }
    }

    /// Stores a signed checkpoint's note bytes (the caller has checked it belongs here).
    func insertCheckpoint(_ signed: SignedCheckpoint) throws {
        let insert = try connection.cachedStatement("INSERT INTO checkpoints (size, note, recorded_at) VALUES (?, ?, ?)")
        insert.bind(signed.checkpoint.size, at: 1)
        insert.bind(blob: signed.bytes, at: 2)
        insert.bind(Timestamp.now().description, at: 3)
        try insert.run()
    }

    private func storedCheckpoint(size: Int, note: [UInt8]) throws -> SignedCheckpoint {
        do {
            let signed = try SignedCheckpoint(parsing: note)
            guard signed.checkpoint.size == size else {
                throw LedgerError(.corrupt, "the checkpoint stored for size \(size) signs size \(signed.checkpoint.size); run `remedy verify`")
            }
            return signed
        } catch let error as LedgerError where error.code == .invalidKeyOrNote {
            throw LedgerError(.corrupt, "the checkpoint stored for size \(size) does not parse (\(error.message)); run `remedy verify`")
        }
    }
}

extension Ledger {
    /// Checks that the ledger extends a checkpoint an auditor kept: its signature by a trusted
    /// key, this ledger's origin, and a consistency proof from its root to the current head.
    ///
    /// - Throws: ``LedgerError``: `.invalidKeyOrNote` for a note that does not parse,
    ///   `.verificationFailed` for a bad signature or a ledger that does not extend it,
    ///   `.conflict` for another ledger's checkpoint.
    @discardableResult
    public func verifyExtends(checkpointNote bytes: [UInt8], trusting keys: [NoteVerifierKey]) throws -> Checkpoint {
        let signed = try SignedCheckpoint(parsing: bytes)
        let checkpoint = try signed.verify(trusting: keys)
        try reading("verify") {
            try checkExtends(signed, head: try treeHead(), origin: try origin())
        }
        return checkpoint
    }
}

extension Ledger {
    /// Checks that the ledger extends a stored (or given) checkpoint, without its signature:
    /// its origin, and a consistency proof from its root to the current head.
    ///
    /// - Throws: ``LedgerError`` (`.verificationFailed`, `.conflict`).
    public func checkConsistency(with signed: SignedCheckpoint) throws {
        try reading("verify") { try checkExtends(signed, head: try treeHead(), origin: try origin()) }
    }
}
