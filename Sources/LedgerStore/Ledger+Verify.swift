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

            let heads = try connection.prepare("SELECT size, root FROM tree_heads ORDER BY size")
            var nextHead: (size: Int, root: [UInt8])? = try heads.step() ? (heads.int(0), heads.blob(1)) : nil

            let rows = try connection.prepare("SELECT \(Self.storedEventColumns) FROM events ORDER BY position")
            while try rows.step() {
                let problem = verifier.check(
                    position: rows.int(0), id: rows.blobBuffer(1), stream: rows.blobBuffer(2), streamVersion: rows.int(3),
                    type: rows.blobBuffer(4), recordedAt: rows.blobBuffer(5), body: rows.blobBuffer(6), leafHash: rows.blobBuffer(7))
                if let problem { return verifier.report(problem) }
                while let head = nextHead, head.size <= verifier.range.size {
                    if head.size == verifier.range.size && head.root != verifier.range.root.bytes {
                        return verifier.report(.init(position: head.size, message: "the tree head recorded at size \(head.size) does not match the events up to it"))
                    }
                    if head.size < verifier.range.size {
                        return verifier.report(.init(position: head.size, message: "a tree head is recorded for size \(head.size) but that event is missing"))
                    }
                    nextHead = try heads.step() ? (heads.int(0), heads.blob(1)) : nil
                }
                if verifier.range.size % 65_536 == 0 { progress(verifier.range.size) }
            }
            if let head = nextHead {
                return verifier.report(.init(position: head.size, message: "a tree head is recorded for size \(head.size) but the ledger has only \(verifier.range.size) events"))
            }
            // Every commit that appends records its head, so the last head covers every event.
            let lastHead = try connection.scalarInt("SELECT max(size) FROM tree_heads") ?? 0
            if lastHead != verifier.range.size {
                return verifier.report(.init(position: lastHead + 1, message: "events from position \(lastHead + 1) on were added without a tree head"))
            }
            let saved = try? storedRange()
            if saved != verifier.range {
                return verifier.report(.init(position: nil, message: "the saved tree state does not match the events (\(saved?.size ?? 0) saved, \(verifier.range.size) events)"))
            }
            if let problem = try checkTreeNodes(against: verifier.keptNodes) {
                return verifier.report(problem)
            }
            if try schemaVersion() >= 5, let counted = try connection.scalarInt("SELECT streams FROM tree_state WHERE id = 1"),
               counted != verifier.streamVersions.count {
                return verifier.report(.init(position: nil, message: "the saved stream count (\(counted)) does not match the events (\(verifier.streamVersions.count) streams)"))
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

extension Ledger {
    /// Compares the stored tree nodes with those the events determine: every one present and equal.
    fileprivate func checkTreeNodes(against computed: [EventVerifier.NodeKey: TreeHash]) throws -> VerificationReport.Problem? {
        guard try hasTable("tree_nodes") else { return nil }
        let rows = try connection.prepare("SELECT height, idx, hash FROM tree_nodes ORDER BY height, idx")
        var stored = 0
        while try rows.step() {
            stored += 1
            let key = EventVerifier.NodeKey(height: rows.int(0), index: rows.int(1))
            guard let expected = computed[key], let hash = TreeHash(bytes: rows.blobBuffer(2)), hash == expected else {
                return .init(position: nil, message: "the stored tree node at height \(key.height), index \(key.index) does not match the events")
            }
        }
        if stored != computed.count {
            return .init(position: nil, message: "\(computed.count - stored) tree nodes the events complete are not stored")
        }
        return nil
    }
}
