import CSQLite
import Events
import SystemIO

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
    /// The events are read on a second thread, a block at a time (``StoredEventBlock``), while
    /// the calling thread checks the block before: hashing and checking cost about what reading
    /// costs, so on two cores the two overlap. SQLite's integrity check runs meanwhile on a third
    /// thread and a connection of its own; its answer counts only if every event passes.
    ///
    /// - Parameter progress: called now and then with the number of events checked.
    /// - Throws: ``LedgerError`` when the ledger cannot be read at all.
    public func verify(progress: (Int) -> Void = { _ in }) throws -> VerificationReport {
        try mapErrors("verify") {
            try connection.execute("BEGIN")
            defer { try? connection.execute("COMMIT") }
            var verifier = EventVerifier()
            let pending = PendingHeads()
            var heads = try RecordedHeads { pending.next() }
            // SQLite's integrity check runs on a connection of its own, beside the events', and
            // is interrupted when an event fails first (at 1M events it takes about 0.4 s).
            let integrityConnection = try? readerConnection()
            let integrity = Handoff<String>(chunkSize: 64) { emit in
                if let integrityConnection { try Self.integrityCheck(integrityConnection, emit) }
            }
            let integrityRuns = integrityConnection != nil && integrity.start()
            defer {
                integrityConnection?.interrupt()
                integrity.stop()
            }

            /// Checks a block's events and the heads they reach: the first problem, if any.
            func check(_ block: StoredEventBlock) throws -> VerificationReport.Problem? {
                pending.add(block.heads)
                try heads.refill()
                var problem: VerificationReport.Problem?
                try block.forEach { position, id, stream, streamVersion, type, recordedAt, body, leafHash in
                    problem = verifier.check(position: position, id: id, stream: stream, streamVersion: streamVersion,
                                             type: type, recordedAt: recordedAt, body: body, leafHash: leafHash)
                    if problem == nil { problem = try verifier.check(&heads) }
                    if verifier.range.size % 65_536 == 0 { progress(verifier.range.size) }
                    return problem == nil
                }
                return problem
            }

            let reader = Handoff<StoredEventBlock>(chunkSize: 1, chunkWeight: 1, maximumQueuedWeight: 8) { emit in
                try self.readBlocks(emit)
            }
            do {
                if reader.start() {
                    defer { reader.stop() }
                    while let block = try reader.next() {
                        if let problem = try check(block) { return verifier.report(problem) }
                    }
                } else {
                    // No second thread: read and check in turn.
                    var problem: VerificationReport.Problem?
                    try readBlocks { block in
                        problem = try check(block)
                        return problem == nil
                    }
                    if let problem { return verifier.report(problem) }
                }
            } catch let error as SQLiteError where error.code == SQLITE_CORRUPT {
                // A damaged page under the events fails verification where it stops the reading,
                // as a bad event would (and as SQLite's integrity check below would).
                let position = verifier.range.size + 1
                return verifier.report(.init(position: position, message: "the ledger cannot be read from position \(position) on: \(error.message)"))
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
            var integrityCheck: [String] = []
            if integrityRuns {
                while let message = try integrity.next() { integrityCheck.append(message) }
            } else {
                try Self.integrityCheck(connection) { integrityCheck.append($0); return true }
            }
            if integrityCheck != ["ok"] {
                return verifier.report(.init(position: nil, message: "SQLite's integrity check failed: \(integrityCheck.prefix(3).joined(separator: "; "))"))
            }
            progress(verifier.range.size)
            return verifier.report(nil)
        }
    }

    /// Reads the events in position order, a block at a time, each with the tree heads its
    /// events reach; a last block without events carries the heads beyond them. Stops when
    /// `emit` returns false.
    private func readBlocks(_ emit: (StoredEventBlock) throws -> Bool) throws {
        let rows = try connection.prepare("SELECT \(Self.storedEventColumns) FROM events ORDER BY position")
        let headRows = try connection.prepare("SELECT size, root FROM tree_heads ORDER BY size")
        func readHead() throws -> StoredEventBlock.RecordedHead? {
            try headRows.step() ? StoredEventBlock.RecordedHead(size: headRows.int(0), root: headRows.blob(1)) : nil
        }
        var nextHead = try readHead()
        /// Moves the heads up to `size` (all of them for nil) into the block.
        func takeHeads(through size: Int?, into block: inout StoredEventBlock) throws {
            while let head = nextHead, size.map({ head.size <= $0 }) ?? true {
                block.heads.append(head)
                nextHead = try readHead()
            }
        }
        var more = true
        while more {
            var block = StoredEventBlock()
            do {
                while block.count < StoredEventBlock.capacity {
                    guard try rows.step() else { more = false; break }
                    block.append(rows)
                }
            } catch {
                // The events read before a damaged page are checked first.
                if block.count > 0 {
                    try takeHeads(through: block.lastPosition, into: &block)
                    _ = try emit(block)
                }
                throw error
            }
            guard block.count > 0 else { break }
            try takeHeads(through: block.lastPosition, into: &block)
            guard try emit(block) else { return }
        }
        var last = StoredEventBlock()
        try takeHeads(through: nil, into: &last)
        _ = try emit(last)
    }

    /// SQLite's integrity check (`PRAGMA quick_check`): "ok", or what it found.
    fileprivate static func integrityCheck(_ connection: SQLiteConnection, _ emit: (String) -> Bool) throws {
        let check = try connection.prepare("PRAGMA quick_check")
        while try check.step() { guard emit(check.text(0)) else { return } }
    }
}

/// The tree heads handed over with the blocks, given to ``RecordedHeads`` one at a time.
private final class PendingHeads {
    private var heads: [StoredEventBlock.RecordedHead] = []
    private var index = 0

    func add(_ more: [StoredEventBlock.RecordedHead]) {
        if index == heads.count { heads.removeAll(keepingCapacity: true); index = 0 }
        heads.append(contentsOf: more)
    }

    func next() -> (size: Int, root: [UInt8])? {
        guard index < heads.count else { return nil }
        defer { index += 1 }
        return (heads[index].size, heads[index].root)
    }
}
