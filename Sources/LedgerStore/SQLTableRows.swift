import Projections

/// A projection's tables in the ledger (live, or built aside under a suffix), behind a
/// write-back cache.
///
/// A fold reads the row it is about to change nearly every event (a case's row, per outcome),
/// and most of its writes go to a few hot rows. Asking SQLite for each read and write cost
/// three statements per event; here rows are read once, changed in memory, and written out in
/// key order when many are dirty (sorted writes touch each B-tree page once) and at the end of
/// the fold. The cache is bounded (``LedgerConfiguration/readModelWriteBatch``): past twice
/// that many rows it is written out and emptied. Tables whose rows are only ever added
/// (``ReadModelTable/appendOnly``) are written straight through.
final class SQLTableRows: RowSink {
    /// A cached row (nil: known to be absent) and whether it must be written out.
    private struct Entry {
        var row: [RowValue]?
        var dirty: Bool
    }

    /// One table's statements and cached rows (a class: its dictionary changes in place).
    private final class Table {
        let name: String
        let nameLength: Int
        /// The table in the ledger: the name, with the suffix of a rebuild.
        let storedName: String
        let columnCount: Int
        let keyColumns: Int
        let writeThrough: Bool
        let select: SQLiteStatement
        let upsert: SQLiteStatement
        let delete: SQLiteStatement
        var rows: [[RowValue]: Entry] = [:]
        /// The row read or written last and where it is in ``rows``: a fold writes the row it
        /// just read, and reads one run's row for each of its outcomes, so most lookups are
        /// this one and cost a comparison instead of hashing the key again. Cleared whenever
        /// ``rows`` gains or loses a key (which moves its indices).
        var recent: (key: [RowValue], index: Dictionary<[RowValue], Entry>.Index)?

        /// Where `key` is in ``rows``, remembered as ``recent``; nil when it is not there.
        func find(_ key: some Collection<RowValue>) -> Dictionary<[RowValue], Entry>.Index? {
            if let recent, recent.key.elementsEqual(key) { return recent.index }
            let key = Array(key)
            guard let index = rows.index(forKey: key) else { return nil }
            recent = (key, index)
            return index
        }

        /// Adds a row not in ``rows`` and remembers it as ``recent``.
        func insert(_ key: [RowValue], _ entry: Entry) {
            rows[key] = entry
            recent = rows.index(forKey: key).map { (key, $0) }
        }

        init(_ schema: ReadModelTable, suffix: String, connection: SQLiteConnection) throws {
            let table = schema.name + suffix
            let placeholders = Array(repeating: "?", count: schema.columns.count).joined(separator: ", ")
            name = schema.name
            nameLength = schema.name.utf8.count
            storedName = table
            columnCount = schema.columns.count
            keyColumns = schema.keyColumns
            writeThrough = schema.appendOnly
            select = try connection.prepare("SELECT * FROM \(table) WHERE \(schema.keyMatchSQL)")
            upsert = try connection.prepare("INSERT OR REPLACE INTO \(table) VALUES (\(placeholders))")
            delete = try connection.prepare("DELETE FROM \(table) WHERE \(schema.keyMatchSQL)")
        }
    }

    /// A projection has a handful of tables: found by a scan, not by hashing their names.
    private let tables: [Table]
    /// Dirty rows that trigger a write-out.
    private let dirtyRowLimit: Int
    /// Rows (clean or dirty) kept in memory at most.
    private let cachedRowLimit: Int
    private var cachedRows = 0
    private var dirtyRows = 0

    private let connection: SQLiteConnection
    /// Held around every statement: a fold's other lane shares the connection.
    private let lock: ConnectionLock

    init(_ ledger: Ledger, _ projection: any Projection.Type, suffix: String) throws {
        connection = ledger.connection
        lock = ledger.foldLock
        dirtyRowLimit = ledger.configuration.readModelWriteBatch
        cachedRowLimit = 2 * ledger.configuration.readModelWriteBatch
        tables = try projection.tables.map { try Table($0, suffix: suffix, connection: ledger.connection) }
    }

    private func table(_ name: String) -> Table? {
        // Comparing two different names' bytes costs a call each; most differ in length.
        let length = name.utf8.count
        for table in tables where table.nameLength == length && table.name == name { return table }
        return nil
    }

    func row(_ name: String, key: [RowValue]) throws -> [RowValue]? {
        guard let table = table(name) else { return nil }
        if let index = table.find(key) { return table.rows.values[index].row }
        let row = try lock.run {
            table.select.reset()
            defer { table.select.reset() }
            try Self.bind(key, to: table.select)
            return try table.select.step() ? Self.values(table.select, count: table.columnCount) : nil
        }
        table.insert(key, Entry(row: row, dirty: false))
        cachedRows += 1
        // A fold that mostly reads (absent rows, say) would otherwise grow the cache unbounded.
        if cachedRows >= cachedRowLimit { try flush() }
        return row
    }

    func apply(_ writes: [RowWrite]) throws {
        for write in writes {
            switch write {
            case .upsert(let name, let row):
                guard let table = table(name) else { continue }
                if table.writeThrough {
                    try lock.run {
                        table.upsert.reset()
                        try Self.bind(row, to: table.upsert)
                        try table.upsert.run()
                    }
                } else {
                    remember(table, key: row.prefix(table.keyColumns), row: row)
                }
            case .delete(let name, let key):
                guard let table = table(name) else { continue }
                remember(table, key: key, row: nil)
            }
        }
        if dirtyRows >= dirtyRowLimit { try flush() }
    }

    /// Calls `body` with every row of a table as it stands, in key order, one at a time (what
    /// a snapshot stores).
    func forEachRow(_ schema: ReadModelTable, _ body: ([RowValue]) throws -> Void) throws {
        guard let table = table(schema.name) else { return }
        try flush()
        try lock.run { try schema.forEachRow(on: connection, storedName: table.storedName, body) }
    }

    /// Writes every dirty row, in key order, and empties the cache if it grew past its limit.
    func flush() throws {
        for table in tables {
            let dirty = table.rows.filter(\.value.dirty).sorted { RowValue.keyPrecedes($0.key, $1.key) }
            try lock.run {
                for (key, entry) in dirty {
                    if let row = entry.row {
                        table.upsert.reset()
                        try Self.bind(row, to: table.upsert)
                        try table.upsert.run()
                    } else {
                        table.delete.reset()
                        try Self.bind(key, to: table.delete)
                        try table.delete.run()
                    }
                }
            }
            for (key, _) in dirty { table.rows[key]?.dirty = false }
        }
        dirtyRows = 0
        if cachedRows >= cachedRowLimit {
            for table in tables {
                table.rows.removeAll(keepingCapacity: true)
                table.recent = nil
            }
            cachedRows = 0
        }
    }

    private func remember(_ table: Table, key: some Collection<RowValue>, row: [RowValue]?) {
        if let index = table.find(key) {
            if !table.rows.values[index].dirty { dirtyRows += 1 }
            table.rows.values[index] = Entry(row: row, dirty: true)
        } else {
            table.insert(Array(key), Entry(row: row, dirty: true))
            cachedRows += 1
            dirtyRows += 1
        }
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
