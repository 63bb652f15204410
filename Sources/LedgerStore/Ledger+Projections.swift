import Events
import Projections

/// How a projection's tables were brought up to date.
public struct CatchUp: Sendable, Equatable {
    /// Events folded (of the projection's types).
    public var folded: Int
    /// Whether the tables were rebuilt from the first event (new projection or new version).
    public var rebuilt: Bool
    /// The ledger position the tables now reflect.
    public var position: Int
}

extension Ledger {
    /// Brings a projection's tables up to date, folding only the events after its checkpoint;
    /// a projection seen for the first time, or whose version changed, is rebuilt.
    ///
    /// - Throws: ``LedgerError``, or the projection's decoding error for a damaged event.
    @discardableResult
    public func catchUp(_ projection: any Projection.Type) throws -> CatchUp {
        guard mode == .readWrite else { throw LedgerError(.readOnly, "the ledger \(location.path) was opened read-only") }
        let checkpoint = try mapErrors("read") { try self.checkpoint(projection.name) }
        guard let checkpoint, checkpoint.version == projection.version else { return try rebuild(projection) }
        let result = try mapErrors("update the read models of") {
            try transaction {
                let end = try storedRange().size
                let folded = try fold(projection, after: checkpoint.position, through: end, into: SQLRows(self, projection, suffix: ""))
                try saveCheckpoint(projection, position: end)
                return CatchUp(folded: folded, rebuilt: false, position: end)
            }
        }
        checkpointAfter(appended: result.folded)
        return result
    }

    /// Rebuilds a projection from the first event: its tables are built aside and swapped in
    /// within one transaction, so an interrupted rebuild leaves the previous tables in place.
    ///
    /// - Throws: ``LedgerError``, or the projection's decoding error for a damaged event.
    @discardableResult
    public func rebuild(_ projection: any Projection.Type) throws -> CatchUp {
        guard mode == .readWrite else { throw LedgerError(.readOnly, "the ledger \(location.path) was opened read-only") }
        let result = try mapErrors("rebuild the read models of") {
            try transaction {
                let aside = "__rebuild"
                for table in projection.tables {
                    try connection.execute("DROP TABLE IF EXISTS \(table.name)\(aside)")
                    try connection.execute(table.createSQL(named: table.name + aside))
                }
                let end = try storedRange().size
                let folded = try fold(projection, after: 0, through: end, into: SQLRows(self, projection, suffix: aside))
                for table in projection.tables {
                    try connection.execute("DROP TABLE IF EXISTS \(table.name)")
                    try connection.execute("ALTER TABLE \(table.name)\(aside) RENAME TO \(table.name)")
                }
                try saveCheckpoint(projection, position: end)
                return CatchUp(folded: folded, rebuilt: true, position: end)
            }
        }
        checkpointAfter(appended: result.folded)
        return result
    }

    /// A table's live rows, sorted by key (catch up first); only those whose leading key
    /// columns equal `keyPrefix`, when given (answered from the primary-key index).
    ///
    /// - Throws: ``LedgerError``.
    public func rows(of table: ReadModelTable, keyPrefix: [RowValue] = []) throws -> [[RowValue]] {
        try mapErrors("read") {
            let keys = table.columns.prefix(table.keyColumns).map(\.name).joined(separator: ", ")
            let prefix = table.columns.prefix(min(keyPrefix.count, table.keyColumns)).map { "\($0.name) = ?" }
            let condition = prefix.isEmpty ? "" : " WHERE " + prefix.joined(separator: " AND ")
            let statement = try connection.prepare("SELECT * FROM \(table.name)\(condition) ORDER BY \(keys)")
            try statement.bind(keyPrefix.prefix(prefix.count).map(SQLRows.sqlValue))
            var rows: [[RowValue]] = []
            while try statement.step() { rows.append(SQLRows.values(statement, count: table.columns.count)) }
            return rows
        }
    }

    /// Folds a projection in memory over the events up to `position` (all of them for nil):
    /// time travel, without touching the live tables, and what read-only ledgers answer from.
    ///
    /// - Throws: ``LedgerError``, or the projection's decoding error.
    public func projectInMemory(_ projection: any Projection.Type, through position: Int? = nil) throws -> MemoryRows {
        let rows = MemoryRows(projection)
        _ = try fold(projection, after: 0, through: position ?? Int.max, into: rows)
        return rows
    }

    /// Folds the projection's events in (after, through] into `rows`, writing as it goes.
    private func fold(_ projection: any Projection.Type, after: Int, through: Int, into rows: some RowSink) throws -> Int {
        var query = EventQuery()
        query.types = projection.eventTypes
        query.fromPosition = after + 1
        query.toPosition = through
        var folded = 0
        var failure: (any Error)?
        try forEachEvent(query) { position, type, stream, bytes in
            guard let data = EventEnvelope.payloadBytes(of: bytes) else {
                failure = LedgerError(.corrupt, "the event at position \(position) has no payload; run `remedy verify`")
                return false
            }
            do {
                try rows.apply(try projection.apply(ProjectedEvent(position: position, type: type, stream: stream, data: Array(data)), rows: rows))
            } catch {
                failure = error
                return false
            }
            folded += 1
            return true
        }
        if let failure { throw failure }
        return folded
    }

    private func checkpoint(_ name: String) throws -> (version: Int, position: Int)? {
        let statement = try connection.cachedStatement("SELECT version, position FROM projection_checkpoints WHERE name = ?")
        defer { statement.reset() }
        statement.bind(name, at: 1)
        guard try statement.step() else { return nil }
        return (statement.int(0), statement.int(1))
    }

    private func saveCheckpoint(_ projection: any Projection.Type, position: Int) throws {
        let statement = try connection.cachedStatement("INSERT OR REPLACE INTO projection_checkpoints (name, version, position) VALUES (?, ?, ?)")
        statement.bind(projection.name, at: 1)
        statement.bind(projection.version, at: 2)
        statement.bind(position, at: 3)
        try statement.run()
    }
}

/// Somewhere a fold's writes go: tables in the ledger, or memory.
protocol RowSink: RowReader {
    func apply(_ writes: [RowWrite]) throws
}

extension MemoryRows: RowSink {}

/// A projection's tables in the ledger (live, or built aside under a suffix).
struct SQLRows: RowSink {
    private let ledger: Ledger
    private let suffix: String
    private let tables: [String: ReadModelTable]

    init(_ ledger: Ledger, _ projection: any Projection.Type, suffix: String) {
        self.ledger = ledger
        self.suffix = suffix
        self.tables = Dictionary(uniqueKeysWithValues: projection.tables.map { ($0.name, $0) })
    }

    func row(_ table: String, key: [RowValue]) throws -> [RowValue]? {
        guard let schema = tables[table] else { return nil }
        let condition = schema.columns.prefix(schema.keyColumns).map { "\($0.name) = ?" }.joined(separator: " AND ")
        let statement = try ledger.connection.cachedStatement("SELECT * FROM \(table)\(suffix) WHERE \(condition)")
        defer { statement.reset() }
        try statement.bind(key.map(Self.sqlValue))
        guard try statement.step() else { return nil }
        return Self.values(statement, count: schema.columns.count)
    }

    func apply(_ writes: [RowWrite]) throws {
        for write in writes {
            switch write {
            case .upsert(let table, let row):
                let placeholders = Array(repeating: "?", count: row.count).joined(separator: ", ")
                let statement = try ledger.connection.cachedStatement("INSERT OR REPLACE INTO \(table)\(suffix) VALUES (\(placeholders))")
                try statement.bind(row.map(Self.sqlValue))
                try statement.run()
            case .delete(let table, let key):
                guard let schema = tables[table] else { continue }
                let condition = schema.columns.prefix(schema.keyColumns).map { "\($0.name) = ?" }.joined(separator: " AND ")
                let statement = try ledger.connection.cachedStatement("DELETE FROM \(table)\(suffix) WHERE \(condition)")
                try statement.bind(key.map(Self.sqlValue))
                try statement.run()
            }
        }
    }

    static func sqlValue(_ value: RowValue) -> SQLiteValue {
        switch value {
        case .integer(let number): return .int(number)
        case .text(let text): return .text(text)
        case .null: return .null
        }
    }

    static func values(_ statement: SQLiteStatement, count: Int) -> [RowValue] {
        (0..<Int32(count)).map { column in
            if statement.isNull(column) { return .null }
            return statement.columnIsInteger(column) ? .integer(statement.int(column)) : .text(statement.text(column))
        }
    }
}

extension Ledger {
    /// Runs SQL on the ledger's connection: for tests that simulate another version of a
    /// projection or a damaged file. Not for production code, which goes through the API.
    @_spi(Testing) public func execute(_ sql: String) throws {
        try mapErrors("write") { try connection.execute(sql) }
    }
}
