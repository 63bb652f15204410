import Events

extension Ledger {
    /// Re-checks the whole ledger from its stored bytes.
    ///
    /// For every event in position order: the position follows the one before; the leaf hash
    /// is SHA-256(0x00 ‖ stored bytes); the stored bytes are an envelope that names the same
    /// position, id, stream, stream version, type and time as the row; the stream version
    /// follows the stream's previous one; time does not run backwards. The recomputed root
    /// must equal every tree head recorded at a commit and the saved tree state, and SQLite's
    /// own integrity check must pass. The report names the first position that fails.
    ///
    /// - Parameter progress: called now and then with the number of events checked.
    /// - Throws: ``LedgerError`` when the ledger cannot be read at all.
    public func verify(progress: (Int) -> Void = { _ in }) throws -> VerificationReport {
        try mapErrors("verify") {
            try connection.execute("BEGIN")
            defer { try? connection.execute("COMMIT") }
            var verifier = EventVerifier()
            let headRows = try connection.prepare("SELECT size, root FROM tree_heads ORDER BY size")
            var heads = try RecordedHeads { try headRows.step() ? (headRows.int(0), headRows.blob(1)) : nil }

            let rows = try connection.prepare("SELECT \(Self.storedEventColumns) FROM events ORDER BY position")
            while try rows.step() {
                let problem = verifier.check(
                    position: rows.int(0), id: rows.blobBuffer(1), stream: rows.blobBuffer(2), streamVersion: rows.int(3),
                    type: rows.blobBuffer(4), recordedAt: rows.blobBuffer(5), body: rows.blobBuffer(6), leafHash: rows.blobBuffer(7))
                if let problem = try problem ?? verifier.check(&heads) { return verifier.report(problem) }
                if verifier.range.size % 65_536 == 0 { progress(verifier.range.size) }
            }
            // Kept by the appends since schema 5; an older file has no stream count to check.
            let streams = try schemaVersion() >= 5 ? try connection.scalarInt("SELECT streams FROM tree_state WHERE id = 1") : nil
            if let problem = verifier.checkEnd(heads, savedRange: try? storedRange(), savedStreams: streams) {
                return verifier.report(problem)
            }
            if try hasTable("tree_nodes") {
                let nodes = try connection.prepare("SELECT height, idx, hash FROM tree_nodes ORDER BY height, idx")
                let problem = try verifier.checkNodes {
                    try nodes.step() ? (EventVerifier.NodeKey(height: nodes.int(0), index: nodes.int(1)), TreeHash(bytes: nodes.blobBuffer(2))) : nil
                }
                if let problem { return verifier.report(problem) }
            }
            let check = try connection.prepare("PRAGMA quick_check")
            var messages: [String] = []
            while try check.step() { messages.append(check.text(0)) }
            if messages != ["ok"] {
                return verifier.report(.init(position: nil, message: "SQLite's integrity check failed: \(messages.prefix(3).joined(separator: "; "))"))
            }
            progress(verifier.range.size)
            return verifier.report(nil)
        }
    }
}
