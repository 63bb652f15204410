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
            let heads = try session.query("SELECT size, root FROM tree_heads ORDER BY size")
                .map { (size: try $0.int(0), root: try $0.bytes(1)) }
            var nextHead = 0
            var after = 0
            while true {
                let page = try session.query("SELECT \(Self.storedEventColumns) FROM events WHERE position > $1 ORDER BY position LIMIT 10000", [.int(after)])
                for row in page {
                    let position = try row.int(0)
                    let (id, stream, type, recordedAt) = (try row.text(1), try row.text(2), try row.text(4), try row.text(5))
                    let (body, leafHash) = (try row.bytes(6), try row.bytes(7))
                    let problem = withBuffers(id, stream, type, recordedAt, body, leafHash) { id, stream, type, recordedAt, body, leafHash in
                        verifier.check(position: position, id: id, stream: stream, streamVersion: (try? row.int(3)) ?? -1,
                                       type: type, recordedAt: recordedAt, body: body, leafHash: leafHash)
                    }
                    if let problem { return verifier.report(problem) }
                    while nextHead < heads.count, heads[nextHead].size <= verifier.range.size {
                        let head = heads[nextHead]
                        if head.size == verifier.range.size && head.root != verifier.range.root.bytes {
                            return verifier.report(.init(position: head.size, message: "the tree head recorded at size \(head.size) does not match the events up to it"))
                        }
                        if head.size < verifier.range.size {
                            return verifier.report(.init(position: head.size, message: "a tree head is recorded for size \(head.size) but that event is missing"))
                        }
                        nextHead += 1
                    }
                    after = position
                }
                progress(verifier.range.size)
                if page.count < 10_000 { break }
            }
            if nextHead < heads.count {
                let size = heads[nextHead].size
                return verifier.report(.init(position: size, message: "a tree head is recorded for size \(size) but the ledger has only \(verifier.range.size) events"))
            }
            let lastHead = heads.last?.size ?? 0
            if lastHead != verifier.range.size {
                return verifier.report(.init(position: lastHead + 1, message: "events from position \(lastHead + 1) on were added without a tree head"))
            }
            if (try? storedRange()) != verifier.range {
                return verifier.report(.init(position: nil, message: "the saved tree state does not match the events"))
            }
            let stored = try session.query("SELECT height, idx, hash FROM tree_nodes ORDER BY height, idx")
            for row in stored {
                let key = EventVerifier.NodeKey(height: try row.int(0), index: try row.int(1))
                guard let computed = verifier.keptNodes[key], computed.bytes == (try row.bytes(2)) else {
                    return verifier.report(.init(position: nil, message: "the stored tree node at height \(key.height), index \(key.index) does not match the events"))
                }
            }
            if stored.count != verifier.keptNodes.count {
                return verifier.report(.init(position: nil, message: "the ledger keeps \(stored.count) tree nodes; the events determine \(verifier.keptNodes.count)"))
            }
            let streams = try session.query("SELECT streams FROM tree_state WHERE id = 1").first?.int(0) ?? -1
            if streams != verifier.streamVersions.count {
                return verifier.report(.init(position: nil, message: "the saved stream count (\(streams)) does not match the events (\(verifier.streamVersions.count) streams)"))
            }
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
