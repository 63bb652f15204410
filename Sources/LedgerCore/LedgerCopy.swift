import Events

/// Copies a whole ledger into an empty one, whatever stores hold them: every event byte for
/// byte at its position, and every signed checkpoint, in one write transaction; then checks
/// that the copy has the same tree head and verifies.
///
/// What `remedy migrate` does between a SQLite file and a PostgreSQL ledger, either way. The
/// target must be empty (or hold exactly the source's events already, as a migration killed
/// after its commit leaves it: then nothing is copied) and of the source's origin (create it
/// with that origin): its checkpoints name the origin, and an auditor's kept checkpoints must
/// go on verifying.
///
/// ```swift
/// let source = try Ledger.open(LedgerPath("ci.db"), mode: .readOnly)
/// let target = try PostgresLedger.open(location, create: .ifMissing(origin: try source.origin()))
/// let copied = try LedgerCopy.copy(from: source, to: target)
/// ```
public enum LedgerCopy {
    /// What was copied.
    public struct Summary: Sendable, Equatable {
        public var origin: String
        public var events: Int
        public var checkpoints: Int
        /// The tree head both ledgers have.
        public var treeHead: TreeHead
    }

    /// Events read from the source at a time.
    static let pageSize = 10_000

    /// - Throws: ``LedgerError``: `.conflict` when the target holds other events or has another
    ///   origin; `.verificationFailed` when the copy does not reproduce the source's tree head
    ///   (nothing is then committed), or when the committed copy does not verify.
    public static func copy<Source: EventStore, Target: EventStore>(
        from source: Source, to target: Target, progress: (Int) -> Void = { _ in }
    ) throws -> Summary {
        let origin = try source.origin()
        guard try target.origin() == origin else {
            throw LedgerError(.conflict, "the target ledger is of origin \(try target.origin()), the source of \(origin): create the target with the source's origin")
        }
        let held = try target.treeHead()
        let head = try source.treeHead()
        if held.size > 0 {
            // The same copy again (a migration that committed, then was killed before it
            // said so): nothing to do but what it would have checked.
            guard held == head else {
                throw LedgerError(.conflict, "the target ledger holds \(held.size) events already: migrate copies into an empty ledger")
            }
            return try finish(target, head: head, origin: origin, copied: 0)
        }
        let checkpoints = try source.checkpoints().filter { $0.checkpoint.size <= head.size }
        let copied = try target.write { writer -> BatchResult in
            var next = 1
            while next <= head.size {
                var query = EventQuery()
                query.fromPosition = next
                query.toPosition = min(head.size, next + pageSize - 1)
                let page = try source.events(query)
                guard page.first?.position == next, page.count == query.toPosition! - next + 1 else {
                    throw LedgerError(.corrupt, "the source ledger lacks events from position \(next); run `remedy verify` on it")
                }
                for event in page {
                    guard let leaf = TreeHash(bytes: event.leafHash) else {
                        throw LedgerError(.corrupt, "the source's leaf hash at position \(event.position) is not 32 bytes; run `remedy verify` on it")
                    }
                    try event.body.withUnsafeBytes { body in
                        guard let header = StoredEnvelopeHeader(body) else {
                            throw LedgerError(.corrupt, "the source's event at position \(event.position) is not a canonical envelope; run `remedy verify` on it")
                        }
                        try writer.appendStored(StoredEnvelope(body: body, header: header, leafHash: leaf))
                    }
                }
                next += page.count
                progress(next - 1)
            }
            for signed in checkpoints { try writer.storeCheckpoint(signed) }
            let summary = writer.summary
            guard summary.treeHead == head else {
                throw LedgerError(.verificationFailed, "the copy's tree head (\(summary.treeHead.size) events, root \(summary.treeHead.root.hex)) is not the source's (\(head.size), \(head.root.hex)); nothing was written")
            }
            return summary
        }
        return try finish(target, head: head, origin: origin, copied: copied.appended)
    }

    /// Verifies the committed copy, and says what it holds.
    private static func finish(_ target: some EventStore, head: TreeHead, origin: String, copied: Int) throws -> Summary {
        let report = try target.verify(progress: { _ in })
        guard report.isValid, report.root == head.root else {
            throw LedgerError(.verificationFailed, "the copy does not verify: \(report.problem.map(String.init(describing:)) ?? "another root")")
        }
        return Summary(origin: origin, events: copied, checkpoints: try target.checkpoints().count, treeHead: head)
    }
}
