import Events
import LedgerCore

extension PostgresLedger {
    /// Re-checks the whole ledger from its stored bytes, as the SQLite store does
    /// (``EventVerifier``): every event against its leaf hash, envelope, position, stream
    /// version and time; every recorded tree head, the saved tree state, the kept tree nodes
    /// and the stream count against what the events determine. One read-only transaction at
    /// REPEATABLE READ, so concurrent appends do not move what it reads.
    public func verify(progress: (Int) -> Void) throws -> VerificationReport {
        try session.transaction {
            try session.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            var verifier = EventVerifier()
            var storedHeads = try session.query("SELECT size, root FROM tree_heads ORDER BY size")
                .map { (size: try $0.int(0), root: try $0.bytes(1)) }.makeIterator()
            var heads = try RecordedHeads { storedHeads.next() }
            var after = 0
            while true {
                let page = try session.query("SELECT \(Self.storedEventColumns) FROM events WHERE position > $1 ORDER BY position LIMIT 10000", [.int(after)])
                for row in page {
                    let position = try row.int(0)
                    let (id, stream, type, recordedAt) = (try row.text(1), try row.text(2), try row.text(4), try row.text(5))
                    let (body, leafHash) = (try row.bytes(6), try row.bytes(7))
                    let streamVersion = try row.int(3)
                    let problem = withBuffers(id, stream, type, recordedAt, body, leafHash) { id, stream, type, recordedAt, body, leafHash in
                        verifier.check(position: position, id: id, stream: stream, streamVersion: streamVersion,
                                       type: type, recordedAt: recordedAt, body: body, leafHash: leafHash)
                    }
                    if let problem = try problem ?? verifier.check(&heads) { return verifier.report(problem) }
                    after = position
                }
                progress(verifier.range.size)
                if page.count < 10_000 { break }
            }
            let streams = try session.query("SELECT streams FROM tree_state WHERE id = 1").first?.int(0)
            if let problem = verifier.checkEnd(heads, savedRange: try? storedRange(), savedStreams: streams) {
                return verifier.report(problem)
            }
            var nodes = try session.query("SELECT height, idx, hash FROM tree_nodes ORDER BY height, idx").makeIterator()
            let problem = try verifier.checkNodes {
                try nodes.next().map { (EventVerifier.NodeKey(height: try $0.int(0), index: try $0.int(1)), TreeHash(bytes: try $0.bytes(2))) }
            }
            if let problem { return verifier.report(problem) }
            return verifier.report(nil)
        }
    }
}

/// Runs `body` with the UTF-8 bytes of four strings and two byte arrays.
private func withBuffers<T>(_ a: String, _ b: String, _ c: String, _ d: String, _ e: [UInt8], _ f: [UInt8],
                            _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer, UnsafeRawBufferPointer, UnsafeRawBufferPointer,
                                     UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> T) -> T {
    let (a, b, c, d) = (Array(a.utf8), Array(b.utf8), Array(c.utf8), Array(d.utf8))
    return a.withUnsafeBytes { a in b.withUnsafeBytes { b in c.withUnsafeBytes { c in d.withUnsafeBytes { d in
        e.withUnsafeBytes { e in f.withUnsafeBytes { f in body(a, b, c, d, e, f) } }
    } } } }
}
