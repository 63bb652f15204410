import Events
import LedgerCore
import Projections

/// Reads and appends inside one write transaction of a ``PostgresLedger`` (see
/// ``EventStoreWriter``); valid only inside ``PostgresLedger/write(_:)``'s closure.
public final class PostgresLedgerWriter: EventStoreWriter {
    let ledger: PostgresLedger
    var session: PostgresAppendSession

    init(ledger: PostgresLedger, session: PostgresAppendSession) {
        self.ledger = ledger
        self.session = session
    }

    @discardableResult
    public func append(_ event: ProposedEvent) throws -> AppendResult {
        try session.append(event)
    }

    public func events(_ query: EventQuery) throws -> [StoredEvent] {
        try session.flush()
        return try ledger.events(query)
    }

    public func forEachEvent(
        _ query: EventQuery,
        _ body: (_ position: Int, _ type: String, _ stream: String, _ bytes: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try session.flush()
        try ledger.forEachEvent(query, body)
    }

    public func version(of stream: StreamName) throws -> Int {
        try session.version(of: stream)
    }

    /// Brings projections up to date inside this transaction, before it appends any event
    /// they fold (as the SQLite store's writer does).
    public func catchUp(_ projections: [any Projection.Type]) throws -> [CatchUp] {
        guard !session.hasAppended(anyOf: projections.flatMap { $0.eventTypes }) else {
            throw LedgerError(.invalidEvent, "read models are caught up before a transaction appends events they fold, not after")
        }
        try session.flush()
        return try ledger.catchUp(projections)
    }

    public func rows(of table: ReadModelTable, matching filter: [(column: String, value: RowValue)]) throws -> [[RowValue]] {
        try ledger.rows(of: table, matching: filter)
    }

    /// Looks up the versions of the events' streams and whether their ids exist, in two
    /// queries, before they are appended one by one.
    public func prefetch(_ events: [ProposedEvent]) throws {
        try session.prefetch(events)
    }

    /// One query for a window's keys (text or integer, one column).
    public func storedKeys(of table: ReadModelTable, among keys: [RowValue]) throws -> Set<RowValue> {
        guard table.keyColumns == 1, let column = table.columns.first, !keys.isEmpty else { return [] }
        let isInteger = column.type == "INTEGER"
        let array: PostgresValue = isInteger ? .textArray(keys.map(\.description)) : .textArray(keys.compactMap(\.text))
        return Set(try ledger.session.query("SELECT \(column.name) FROM \(table.name) WHERE \(column.name) = ANY($1::\(isInteger ? "bigint" : "text")[])",
                                     [array]).map { try table.rowValue($0, 0) })
    }

    public func appendStored(_ event: StoredEnvelope) throws {
        try session.appendStored(event)
    }

    public func storeCheckpoint(_ signed: SignedCheckpoint) throws {
        try ledger.session.query("INSERT INTO checkpoints (size, note, recorded_at) VALUES ($1, $2, $3) ON CONFLICT (size) DO NOTHING",
                                 [.int(signed.checkpoint.size), .bytes(signed.bytes), .text(Timestamp.now().description)])
    }

    /// What this writer has appended so far, and the tree head it would commit.
    public var summary: BatchResult { session.summary }
}

extension PostgresLedger {
    /// Brings each projection's tables up to the last event, in one transaction: a projection
    /// whose version changed (or that has no tables yet) is rebuilt from the first event,
    /// the others fold only the events after their checkpoint. An advisory lock per projection
    /// keeps two processes from folding the same events twice.
    public func catchUp(_ projections: [any Projection.Type]) throws -> [CatchUp] {
        try session.transaction {
            let head = try storedRange().size
            return try projections.map { projection in
                try session.query("SELECT pg_advisory_xact_lock($1)", [.int(Self.lockKey("project \(location.schema) \(projection.name)"))])
                let checkpoint = try session.query("SELECT version, position FROM projection_checkpoints WHERE name = $1", [.text(projection.name)]).first
                // A retroactive event since the checkpoint changes how every earlier event folds.
                let retroactive = try checkpoint.flatMap { try retroactiveEvent(of: projection, after: try $0.int(1), through: head) }
                let rebuilt = try checkpoint == nil || checkpoint!.int(0) != projection.version || retroactive != nil
                if rebuilt {
                    for table in projection.tables {
                        try session.execute("DROP TABLE IF EXISTS \(table.name)")
                        try session.execute(table.postgresCreateSQL)
                        for index in table.postgresIndexesSQL { try session.execute(index) }
                    }
                }
                let from = rebuilt ? 0 : try checkpoint!.int(1)
                let rows = PostgresTableRows(session: session, projection: projection, startsEmpty: rebuilt)
                var folded = 0
                if rebuilt, let prelude = try retroactive ?? retroactiveEvent(of: projection, through: head) {
                    rows.apply(try projection.apply(prelude, rows: rows))
                }
                if from < head {
                    var query = EventQuery()
                    query.types = projection.eventTypes
                    query.fromPosition = from + 1
                    query.toPosition = head
                    try forEachEvent(query) { position, type, stream, bytes in
                        rows.apply(try projection.apply(try ProjectedEvent.stored(position: position, type: type, stream: stream, bytes: bytes), rows: rows))
                        folded += 1
                        return true
                    }
                }
                try rows.flush()
                try session.query("""
                    INSERT INTO projection_checkpoints (name, version, position) VALUES ($1, $2, $3)
                    ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, position = EXCLUDED.position
                    """, [.text(projection.name), .int(projection.version), .int(head)])
                return CatchUp(folded: folded, rebuilt: rebuilt, position: head)
            }
        }
    }

    /// Rebuilds projections from the first event: their checkpoints are dropped and the
    /// catch-up, in the same transaction, then builds their tables anew.
    public func rebuild(_ projections: [any Projection.Type]) throws -> [CatchUp] {
        try session.transaction {
            for projection in projections {
                try session.query("DELETE FROM projection_checkpoints WHERE name = $1", [.text(projection.name)])
            }
            return try catchUp(projections)
        }
    }

    /// A projection table's rows whose columns hold the given values, in key order.
    public func rows(of table: ReadModelTable, matching filter: [(column: String, value: RowValue)]) throws -> [[RowValue]] {
        try rows(of: table, matching: filter, upTo: nil)
    }

    /// The rows, and with `upTo` only those whose position column is at most the position.
    func rows(of table: ReadModelTable, matching filter: [(column: String, value: RowValue)], upTo: (column: String, position: Int)?) throws -> [[RowValue]] {
        var values: [PostgresValue] = []
        var conditions = table.postgresConditions(filter.filter { table.column($0.column) != nil }, values: &values)
        if let upTo {
            values.append(.int(upTo.position))
            conditions.append("\(upTo.column) <= $\(values.count)")
        }
        let whereClause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let order = table.columns.prefix(table.keyColumns).map { "\($0.name) NULLS FIRST" }.joined(separator: ", ")
        return try session.query("SELECT \(table.columnList) FROM \(table.name)\(whereClause) ORDER BY \(order)", values).map(table.rowValues)
    }
}

/// A projection's rows during a catch-up: read from the server on first use, changed in
/// memory, and written back in one pass at the end (``flush()``).
final class PostgresTableRows: RowReader {
    private let session: PostgresSession
    private let tables: [String: ReadModelTable]
    /// Per table, the rows read or written so far by key; nil for a row known to be absent.
    private var cache: [String: [[RowValue]: [RowValue]?]] = [:]
    private var changed: [String: Set<[RowValue]>] = [:]

    /// Whether the tables were empty when the fold began (a rebuild): a row not in the cache
    /// then does not exist, and no query asks.
    private let startsEmpty: Bool

    init(session: PostgresSession, projection: any Projection.Type, startsEmpty: Bool) {
        self.session = session
        self.startsEmpty = startsEmpty
        tables = Dictionary(uniqueKeysWithValues: projection.tables.map { ($0.name, $0) })
    }

    func row(_ name: String, key: [RowValue]) throws -> [RowValue]? {
        if let cached = cache[name]?[key] { return cached }
        if startsEmpty { return nil }
        guard let table = tables[name] else { return nil }
        var values: [PostgresValue] = []
        let conditions = table.postgresConditions(table.keyPairs(key), values: &values)
        let row = try session.query("SELECT \(table.columnList) FROM \(name) WHERE \(conditions.joined(separator: " AND "))", values)
            .first.map(table.rowValues)
        cache[name, default: [:]][key] = .some(row)
        return row
    }

    func apply(_ writes: [RowWrite]) {
        for write in writes {
            switch write {
            case .upsert(let name, let row):
                let key = Array(row.prefix(tables[name]?.keyColumns ?? 1))
                cache[name, default: [:]][key] = .some(row)
                changed[name, default: []].insert(key)
            case .delete(let name, let key):
                cache[name, default: [:]][key] = .some(nil)
                changed[name, default: []].insert(key)
            }
        }
    }

    /// Writes every changed row: deletes, then upserts, a few hundred rows a statement.
    func flush() throws {
        for (name, keys) in changed {
            guard let table = tables[name] else { continue }
            var upserts: [[RowValue]] = []
            for key in keys {
                if let row = cache[name]?[key] ?? nil {
                    upserts.append(row)
                } else {
                    var values: [PostgresValue] = []
                    let conditions = table.postgresConditions(table.keyPairs(key), values: &values)
                    try session.query("DELETE FROM \(name) WHERE \(conditions.joined(separator: " AND "))", values)
                }
            }
            let keyNames = table.columns.prefix(table.keyColumns).map(\.name)
            let updates = table.columns.dropFirst(table.keyColumns).map { "\($0.name) = EXCLUDED.\($0.name)" }
            let onConflict = "ON CONFLICT (\(keyNames.joined(separator: ", "))) " + (updates.isEmpty ? "DO NOTHING" : "DO UPDATE SET " + updates.joined(separator: ", "))
            let perStatement = max(1, 30_000 / table.columns.count)
            for start in stride(from: 0, to: upserts.count, by: perStatement) {
                var statement = PostgresStatement()
                statement.insert(into: "\(name) (\(table.columnList))", rows: upserts[start..<min(upserts.count, start + perStatement)].map { $0.map(PostgresValue.init) },
                                 then: onConflict)
                try statement.run(on: session)
            }
        }
        changed.removeAll()
    }
}

extension PostgresValue {
    init(_ value: RowValue) {
        switch value {
        case .integer(let number): self = .int(number)
        case .text(let text): self = .text(text)
        case .null: self = .null
        }
    }
}

extension ReadModelTable {
    /// The table on PostgreSQL: SQLite's INTEGER as bigint, TEXT as text compared by bytes
    /// (`COLLATE "C"`), so rows come back in the order the SQLite store gives them.
    var postgresCreateSQL: String {
        let definitions = columns.map { "\($0.name) \($0.type == "INTEGER" ? "bigint" : "text COLLATE \"C\"")" }
        let key = columns.prefix(keyColumns).map(\.name).joined(separator: ", ")
        return "CREATE TABLE \(name) (\(definitions.joined(separator: ", ")), PRIMARY KEY (\(key)))"
    }

    var postgresIndexesSQL: [String] {
        indexes.map { "CREATE INDEX IF NOT EXISTS \(name)_by_\($0.joined(separator: "_")) ON \(name) (\($0.joined(separator: ", ")))" }
    }

    /// Column `index` of a result row as a row value.
    func rowValue(_ row: PostgresResultRow, _ index: Int) throws -> RowValue {
        if row.isNull(index) { return .null }
        return columns[index].type == "INTEGER" ? .integer(try row.int(index)) : .text(try row.text(index))
    }

    /// A result row of all the table's columns (``columnList``) as row values.
    func rowValues(_ row: PostgresResultRow) throws -> [RowValue] {
        try columns.indices.map { try rowValue(row, $0) }
    }

    /// Every column, in order, for a `SELECT` or an `INSERT`.
    var columnList: String { columns.map(\.name).joined(separator: ", ") }

    /// The key columns paired with a key's values.
    func keyPairs(_ key: [RowValue]) -> [(column: String, value: RowValue)] {
        zip(columns.prefix(keyColumns).map(\.name), key).map { ($0, $1) }
    }

    /// `column = $n` for each pair (`IS NULL` for a null), its values appended to `values`.
    func postgresConditions(_ pairs: [(column: String, value: RowValue)], values: inout [PostgresValue]) -> [String] {
        pairs.map { pair in
            if case .null = pair.value { return "\(pair.column) IS NULL" }
            values.append(PostgresValue(pair.value))
            return "\(pair.column) = $\(values.count)"
        }
    }
}
