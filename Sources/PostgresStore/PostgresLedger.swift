import Events
import LedgerCore
import Projections

/// A ledger kept on a PostgreSQL server: the same events, canonical bytes, leaf hashes and
/// tree heads as a SQLite ledger, for a fleet of CI machines that cannot share a file.
///
/// Every write transaction first locks the tree's state row, so writers take turns and
/// positions follow commit order with no gaps (a follower never sees position N+1 before N).
/// Events, tree heads, tree nodes and checkpoints refuse `UPDATE`, `DELETE` and `TRUNCATE` in
/// the server itself (``PostgresSchema``).
///
/// ```swift
/// let ledger = try PostgresLedger.open(PostgresLocation("postgres://ci@db/ledger"), create: .ifMissing())
/// let result = try ledger.append(event)
/// ```
public final class PostgresLedger: EventStore {
    public typealias Writer = PostgresLedgerWriter

    let session: PostgresSession
    var idGenerator = EventIDGenerator()

    /// Whether this role may append (may update the tree's state row): a reader role's views
    /// then read the stored read models when current, else fold in memory, instead of
    /// catching the tables up.
    public private(set) var isWritable = true

    /// Where the ledger lives (without its password).
    public var location: PostgresLocation { session.location }

    /// Whether ``open(_:create:)`` may create the schema and tables (``LedgerCreation``).
    public typealias Creation = LedgerCreation

    private init(session: PostgresSession) {
        self.session = session
    }

    /// Connects to the ledger at `location`, creating it when asked and missing.
    ///
    /// - Throws: ``LedgerError``: `.ledgerNotFound` (no server, or no ledger and `.never`),
    ///   `.newerSchema`, `.notALedger`.
    public static func open(_ location: PostgresLocation, create: Creation = .never) throws -> PostgresLedger {
        let ledger = PostgresLedger(session: try PostgresSession(location))
        if try !ledger.exists() {
            guard case .ifMissing(let origin) = create else {
                throw LedgerError(.ledgerNotFound, "no remedy ledger at \(location); create one with `remedy init --ledger \(location)`")
            }
            if let origin { try LedgerOrigin.validate(origin) }
            try ledger.createIfMissing(origin: origin)
        }
        // One round trip: the schema's version, and whether this role may append.
        let facts = try ledger.session.query("SELECT max(version), has_table_privilege('tree_state', 'UPDATE') FROM schema_migrations").first
        let version = try facts?.optionalInt(0) ?? 0
        guard version <= PostgresSchema.version else {
            throw LedgerError(.newerSchema, "the ledger at \(location) has schema \(version), newer than this remedy's \(PostgresSchema.version); upgrade remedy")
        }
        ledger.isWritable = try facts?.bool(1) ?? false
        return ledger
    }

    /// Whether the schema at `location` holds a ledger.
    ///
    /// - Throws: ``LedgerError`` when the server cannot be reached.
    public static func exists(_ location: PostgresLocation) throws -> Bool {
        try PostgresLedger(session: try PostgresSession(location)).exists()
    }

    private func exists() throws -> Bool {
        // The catalog read with the statement's snapshot (not a name lookup, whose caches may
        // predate another session's commit of the same schema).
        try session.query("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = 'schema_migrations'",
                          [.text(location.schema)]).first?.int(0) == 1
    }

    /// Creates the schema and tables, once, however many processes try at the same moment:
    /// an advisory lock keyed by the schema lets one create and the others find it made.
    private func createIfMissing(origin: String?) throws {
        try session.transaction {
            try session.query("SELECT pg_advisory_xact_lock($1)", [.int(Self.lockKey("create " + location.schema))])
            guard try !exists() else { return }
            try session.execute("CREATE SCHEMA IF NOT EXISTS \(location.schema)")
            for statement in PostgresSchema.creation(origin: origin ?? LedgerOrigin.generate(), createdAt: Timestamp.now().description) {
                try session.query(statement.sql, statement.values)
            }
        }
    }

    /// A stable 63-bit key for an advisory lock (FNV-1a of the name).
    static func lockKey(_ name: String) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int(hash >> 1)
    }

    // MARK: Appending

    @discardableResult
    public func append(batch next: () throws -> (ProposedEvent, context: String?)?, onEach: (AppendResult) -> Void = { _ in }) throws -> BatchResult {
        try session.transaction {
            var appender = try PostgresAppendSession(ledger: self)
            try AppendRules.feed(next, onEach: onEach) { try appender.append($0) }
            return try appender.finish()
        }
    }

    public func write<T>(_ body: (PostgresLedgerWriter) throws -> T) throws -> T {
        try session.transaction {
            let writer = PostgresLedgerWriter(ledger: self, session: try PostgresAppendSession(ledger: self))
            let result = try body(writer)
            _ = try writer.session.finish()
            return result
        }
    }

    // MARK: Reading

    static let storedEventColumns = "position, event_id, stream, stream_version, type, recorded_at, body, leaf_hash"

    static func storedEvent(_ row: PostgresResultRow) throws -> StoredEvent {
        StoredEvent(position: try row.int(0), id: try row.text(1), stream: try row.text(2), streamVersion: try row.int(3),
                    type: try row.text(4), recordedAt: try row.text(5), body: try row.bytes(6), leafHash: try row.bytes(7))
    }

    public func event(position: Int) throws -> StoredEvent {
        guard let row = try session.query("SELECT \(Self.storedEventColumns) FROM events WHERE position = $1", [.int(position)]).first else {
            throw LedgerError(.eventNotFound, "no event at position \(position) in \(location)")
        }
        return try Self.storedEvent(row)
    }

    public func event(id: EventID) throws -> StoredEvent {
        guard let row = try session.query("SELECT \(Self.storedEventColumns) FROM events WHERE event_id = $1", [.text(id.rawValue)]).first else {
            throw LedgerError(.eventNotFound, "no event with id \(id) in \(location)")
        }
        return try Self.storedEvent(row)
    }

    public func events(_ query: EventQuery) throws -> [StoredEvent] {
        try query.validate()
        let (whereClause, values) = query.postgresSQL()
        let limit = query.limit.map { " LIMIT \($0)" } ?? ""
        return try session.query("SELECT \(Self.storedEventColumns) FROM events \(whereClause) ORDER BY position\(limit)", values)
            .map(Self.storedEvent)
    }

    public func forEachEvent(
        _ query: EventQuery,
        _ body: (_ position: Int, _ type: String, _ stream: String, _ bytes: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try query.validate()
        let (whereClause, values) = query.postgresSQL()
        var remaining = query.limit ?? Int.max
        var after = 0
        // Pages in position order, each after the last one read: memory stays one page's.
        try session.transaction {
            while remaining > 0 {
                let page = min(remaining, 10_000)
                let condition = (whereClause.isEmpty ? "WHERE" : whereClause + " AND") + " position > $\(values.count + 1)"
                let rows = try session.query("SELECT position, type, stream, body FROM events \(condition) ORDER BY position LIMIT \(page)",
                                             values + [.int(after)])
                for row in rows {
                    after = try row.int(0)
                    let bytes = try row.bytes(3)
                    guard try bytes.withUnsafeBytes({ try body(after, try row.text(1), try row.text(2), $0) }) else { return }
                }
                remaining -= rows.count
                if rows.count < page { return }
            }
        }
    }

    public func origin() throws -> String {
        guard let origin = try session.query("SELECT origin FROM ledger_identity WHERE id = 1").first?.text(0) else {
            throw LedgerError(.notALedger, "the ledger at \(location) has no origin")
        }
        return origin
    }

    public func checkpoints() throws -> [SignedCheckpoint] {
        try session.query("SELECT size, note FROM checkpoints ORDER BY size").map { row in
            let size = try row.int(0)
            guard let signed = try? SignedCheckpoint(parsing: try row.bytes(1)), signed.checkpoint.size == size else {
                throw LedgerError(.corrupt, "the checkpoint stored for size \(size) in \(location) does not parse or signs another size; run `remedy verify`")
            }
            return signed
        }
    }

    // MARK: The tree

    /// The compact range saved by the last commit.
    func storedRange() throws -> CompactRange {
        guard let row = try session.query("SELECT size, range FROM tree_state WHERE id = 1").first,
              let range = CompactRange(size: try row.int(0), serialized: try row.bytes(1)) else {
            throw LedgerError(.corrupt, "the ledger at \(location) has no valid tree state; run `remedy verify`")
        }
        return range
    }

    public func treeHead() throws -> TreeHead {
        let range = try storedRange()
        return TreeHead(size: range.size, root: range.root)
    }

    public func treeHead(size: Int) throws -> TreeHead {
        try session.transaction { try storedTree().treeHead(size: size) }
    }

    public func inclusionProof(position: Int, size: Int?) throws -> InclusionProof {
        try session.transaction { try storedTree().inclusionProof(position: position, size: size) }
    }

    public func consistencyProof(from: Int, to: Int?) throws -> ConsistencyProof {
        try session.transaction { try storedTree().consistencyProof(from: from, to: to) }
    }

    /// The tree as of the saved state (call inside a transaction): recorded heads, leaf
    /// hashes and kept nodes read from their tables.
    func storedTree() throws -> StoredTree {
        StoredTree(size: try storedRange().size, keepsNodes: true, location: location.description, recordedRoot: { [session] size in
            try session.query("SELECT root FROM tree_heads WHERE size = $1", [.int(size)]).first.flatMap { TreeHash(bytes: try $0.bytes(0)) }
        }, hashes: { [session] height, first, count in
            let rows = height == 0
                ? try session.query("SELECT leaf_hash FROM events WHERE position BETWEEN $1 AND $2 ORDER BY position", [.int(first + 1), .int(first + count)])
                : try session.query("SELECT hash FROM tree_nodes WHERE height = $1 AND idx BETWEEN $2 AND $3 ORDER BY idx",
                                    [.int(height), .int(first), .int(first + count - 1)])
            return try rows.map { TreeHash(bytes: try $0.bytes(0)) }
        })
    }
}

extension EventQuery {
    /// The WHERE clause over `events` and its `$n` values.
    func postgresSQL() -> (whereClause: String, values: [PostgresValue]) {
        var conditions: [String] = []
        var values: [PostgresValue] = []
        func parameter(_ value: PostgresValue) -> String {
            values.append(value)
            return "$\(values.count)"
        }
        if let fromPosition { conditions.append("position >= \(parameter(.int(fromPosition)))") }
        if let toPosition { conditions.append("position <= \(parameter(.int(toPosition)))") }
        if !streams.isEmpty { conditions.append("stream IN (\(streams.map { parameter(.text($0.rawValue)) }.joined(separator: ", ")))") }
        if !categories.isEmpty {
            // A range on the stream index ("." is the byte after "-"), as the SQLite store reads it.
            conditions.append("(" + categories.map { "(stream >= \(parameter(.text($0 + "-"))) AND stream < \(parameter(.text($0 + "."))))" }
                .joined(separator: " OR ") + ")")
        }
        if !types.isEmpty { conditions.append("type IN (\(types.map { parameter(.text($0)) }.joined(separator: ", ")))") }
        if let since { conditions.append("recorded_at >= \(parameter(.text(since.description)))") }
        if let until { conditions.append("recorded_at < \(parameter(.text(until.description)))") }
        return (conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "), values)
    }
}
