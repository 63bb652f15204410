import Events

/// Signed checkpoints over any store: signing the current head, finding stored ones, and
/// checking that the ledger still extends one (RFC 9162 consistency from its root).
extension EventStore {
    /// Signs the ledger's current tree head as a checkpoint and stores the exact note bytes.
    ///
    /// Before signing, the head must extend the last stored checkpoint: the first `size`
    /// events must still hash to the root that checkpoint signed (checked with a consistency
    /// proof from the kept tree nodes, a few reads). Asked again with nothing appended since,
    /// it returns the stored checkpoint if `key` signed it. One write transaction, so two
    /// signers take turns.
    ///
    /// - Throws: ``LedgerError``: `.verificationFailed` when the head does not extend the last
    ///   checkpoint, `.conflict` when another key signed this size already or the origins
    ///   differ, `.invalidEvent` for an empty ledger.
    @discardableResult
    public func signCheckpoint(with key: NoteSignerKey) throws -> SignedCheckpoint {
        try write { writer in
            let head = try treeHead()
            guard head.size > 0 else {
                throw LedgerError(.invalidEvent, "the ledger \(locationDescription) is empty: there is nothing to sign yet")
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
            try writer.storeCheckpoint(signed)
            return signed
        }
    }

    /// The stored checkpoint of `size`, or nil.
    public func checkpoint(size: Int) throws -> SignedCheckpoint? {
        try checkpoints().first { $0.checkpoint.size == size }
    }

    /// The stored checkpoint of the largest size, or nil.
    public func latestCheckpoint() throws -> SignedCheckpoint? {
        try checkpoints().last
    }

    /// Checks that the ledger extends a checkpoint an auditor kept: its signature by a trusted
    /// key, this ledger's origin, and a consistency proof from its root to the current head.
    ///
    /// - Throws: ``LedgerError``: `.invalidKeyOrNote` for a note that does not parse,
    ///   `.verificationFailed` for a bad signature or a ledger that does not extend it,
    ///   `.conflict` for another ledger's checkpoint.
    public func verifyExtends(checkpointNote bytes: [UInt8], trusting keys: [NoteVerifierKey]) throws -> Checkpoint {
        let signed = try SignedCheckpoint(parsing: bytes)
        let checkpoint = try signed.verify(trusting: keys)
        try checkConsistency(with: signed)
        return checkpoint
    }

    /// Checks that the ledger extends a stored (or given) checkpoint, without its signature:
    /// its origin, and a consistency proof from its root to the current head.
    ///
    /// - Throws: ``LedgerError`` (`.verificationFailed`, `.conflict`).
    public func checkConsistency(with signed: SignedCheckpoint) throws {
        try checkExtends(signed, head: try treeHead(), origin: try origin())
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
}
