import Projections

/// A projection's tables in the ledger (live, or built aside under a suffix), behind a
/// write-back cache.
///
/// A fold reads the row it is about to change nearly every event (a case's row, per outcome),
/// and most of its writes go to a few hot rows. Asking SQLite for each read and write cost
/// three statements per event; here rows are read once, changed in memory, and written out in
/// key order when many are dirty (sorted writes touch each B-tree page once) and at the end of
/// the fold. The cache is bounded (``LedgerConfiguration/readModelWriteBatch``): past twice
/// that many rows it is written out and emptied.
final class SQLTableRows: RowSink {
    /// Dirty rows that trigger a write-out.
    private let dirtyRowLimit: Int
    /// Rows (clean or dirty) kept in memory at most.
    private let cachedRowLimit: Int

    /// One table's statements and cached rows (a class: its dictionaries change in place).
    private final class Table {
        let columnCount: Int
        let keyColumns: Int
        /// Rows go straight to SQLite (see ``ReadModelTable/appendOnly``).
        let writeThrough: Bool
        let select: SQLiteStatement
        let upsert: SQLiteStatement
        let delete: SQLiteStatement
        /// Rows read or written; nil for a row known to be absent.
        var rows: [[RowValue]: [RowValue]?] = [:]
        var dirty: Set<[RowValue]> = []

        init(columnCount: Int, keyColumns: Int, writeThrough: Bool, select: SQLiteStatement, upsert: SQLiteStatement, delete: SQLiteStatement) {
            self.columnCount = columnCount
            self.keyColumns = keyColumns
            self.writeThrough = writeThrough
            self.select = select
            self.upsert = upsert
            self.delete = delete
        }
    }

    private var tables: [String: Table] = [:]
    private var cachedRows = 0
    private var dirtyRows = 0

    init(_ ledger: Ledger, _ projection: any Projection.Type, suffix: String) throws {
        dirtyRowLimit = ledger.configuration.readModelWriteBatch
        cachedRowLimit = 2 * ledger.configuration.readModelWriteBatch
        for schema in projection.tables {
            let name = schema.name + suffix
            let key = schema.columns.prefix(schema.keyColumns).map { "\($0.name) = ?" }.joined(separator: " AND ")
            let placeholders = Array(repeating: "?", count: schema.columns.count).joined(separator: ", ")
            tables[schema.name] = Table(
                columnCount: schema.columns.count, keyColumns: schema.keyColumns, writeThrough: schema.appendOnly,
                select: try ledger.connection.prepare("SELECT * FROM \(name) WHERE \(key)"),
                upsert: try ledger.connection.prepare("INSERT OR REPLACE INTO \(name) VALUES (\(placeholders))"),
                delete: try ledger.connection.prepare("DELETE FROM \(name) WHERE \(key)"))
        }
    }

    func row(_ table: String, key: [RowValue]) throws -> [RowValue]? {
        guard let entry = tables[table] else { return nil }
        if let cached = entry.rows[key] { return cached }
        entry.select.reset()
        try Self.bind(key, to: entry.select)
        let row = try entry.select.step() ? Self.values(entry.select, count: entry.columnCount) : nil
        entry.select.reset()
        entry.rows[key] = .some(row)
        cachedRows += 1
        return row
    }

    func apply(_ writes: [RowWrite]) throws {
        for write in writes {
            switch write {
            case .upsert(let name, let row):
                guard let table = tables[name] else { continue }
                if table.writeThrough {
                    table.upsert.reset()
                    try Self.bind(row, to: table.upsert)
                    try table.upsert.run()
                } else {
                    remember(name, key: Array(row.prefix(table.keyColumns)), row: row)
                }
            case .delete(let table, let key):
                remember(table, key: key, row: nil)
            }
        }
        if dirtyRows >= dirtyRowLimit { try flush() }
    }

    /// Writes every dirty row, in key order, and empties the cache if it grew past its limit.
    func flush() throws {
        for table in tables.values where !table.dirty.isEmpty {
            for key in table.dirty.sorted(by: { $0.lexicographicallyPrecedes($1, by: RowValue.precedes) }) {
                if let row = table.rows[key] ?? nil {
                    table.upsert.reset()
                    try Self.bind(row, to: table.upsert)
                    try table.upsert.run()
                } else {
                    table.delete.reset()
                    try Self.bind(key, to: table.delete)
                    try table.delete.run()
                }
            }
            table.dirty.removeAll(keepingCapacity: true)
        }
        dirtyRows = 0
        if cachedRows >= cachedRowLimit {
            for table in tables.values { table.rows.removeAll(keepingCapacity: true) }
            cachedRows = 0
        }
    }

    private func remember(_ name: String, key: [RowValue], row: [RowValue]?) {
        guard let table = tables[name] else { return }
        if table.rows.updateValue(row, forKey: key) == nil { cachedRows += 1 }
        if table.dirty.insert(key).inserted { dirtyRows += 1 }
    }

    private static func bind(_ values: [RowValue], to statement: SQLiteStatement) throws {
        for (offset, value) in values.enumerated() { try statement.bind(sqlValue(value), at: Int32(offset + 1)) }
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
