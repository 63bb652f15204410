import CSQLite

/// One connection to one SQLite file: the thin wrapper the store is built on.
///
/// It holds a single `sqlite3*`, prepares statements once and keeps them (``cachedStatement(_:)``),
/// and turns every failing result code into a ``SQLiteError``. It is used from one thread at a
/// time; the ledger opens one connection per process.
final class SQLiteConnection {
    private(set) var handle: OpaquePointer?
    private var statements: [String: SQLiteStatement] = [:]

    /// Opens `path` with `sqlite3_open_v2` flags (no URI, no shared cache, no mutex).
    init(path: String, flags: Int32) throws {
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nil)
        handle = db
        if rc != SQLITE_OK {
            let error = SQLiteError(code: rc & 0xFF, extendedCode: rc, message: db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory")
            sqlite3_close_v2(db)
            handle = nil
            throw error
        }
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    func error(_ rc: Int32) -> SQLiteError {
        SQLiteError(code: rc & 0xFF, extendedCode: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)))
    }

    func check(_ rc: Int32) throws {
        if rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW { throw error(rc) }
    }

    /// Makes the statement running on this connection, on another thread, stop with
    /// `SQLITE_INTERRUPT` (the one call that may come from another thread).
    func interrupt() {
        sqlite3_interrupt(handle)
    }

    /// Runs one or more statements that return no rows.
    func execute(_ sql: String) throws {
        try check(sqlite3_exec(handle, sql, nil, nil, nil))
    }

    /// Prepares a statement for one use.
    func prepare(_ sql: String) throws -> SQLiteStatement {
        try SQLiteStatement(connection: self, sql: sql, persistent: false)
    }

    /// A statement prepared once per connection and reset for each use.
    func cachedStatement(_ sql: String) throws -> SQLiteStatement {
        if let statement = statements[sql] {
            statement.reset()
            return statement
        }
        let statement = try SQLiteStatement(connection: self, sql: sql, persistent: true)
        statements[sql] = statement
        return statement
    }

    /// The first column of the first row of `sql`, as an integer (nil when there is no row or it is NULL).
    func scalarInt(_ sql: String, _ bindings: SQLiteValue...) throws -> Int? {
        let statement = try cachedStatement(sql)
        defer { statement.reset() }
        try statement.bind(bindings)
        guard try statement.step() else { return nil }
        return statement.isNull(0) ? nil : statement.int(0)
    }

    /// The first column of the first row of `sql`, as bytes.
    func scalarBlob(_ sql: String, _ bindings: SQLiteValue...) throws -> [UInt8]? {
        let statement = try prepare(sql)
        try statement.bind(bindings)
        guard try statement.step() else { return nil }
        return statement.isNull(0) ? nil : statement.blob(0)
    }

    /// The first column of the first row of `sql`, as text.
    func scalarText(_ sql: String) throws -> String? {
        let statement = try prepare(sql)
        guard try statement.step() else { return nil }
        return statement.isNull(0) ? nil : statement.text(0)
    }

    /// Fills a blob in place, piece by piece (SQLite's incremental blob I/O): the row `rowid`
    /// of `table` must hold a `zeroblob` in `column` as long as everything `body` writes, so
    /// a large value never has to be held whole.
    ///
    /// ```swift
    /// try connection.fillBlob(table: "projection_snapshots", column: "rows", rowid: id) { write in
    ///     try write(header)
    ///     try write(rest)
    /// }
    /// ```
    func fillBlob(table: String, column: String, rowid: Int64,
                  _ body: (_ write: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        var blob: OpaquePointer?
        try check(sqlite3_blob_open(handle, "main", table, column, rowid, 1, &blob))
        defer { sqlite3_blob_close(blob) }
        var offset: Int32 = 0
        try body { piece in
            guard !piece.isEmpty else { return }
            try check(sqlite3_blob_write(blob, piece.baseAddress, Int32(piece.count), offset))
            offset += Int32(piece.count)
        }
    }

    /// The rowid of the last row this connection inserted.
    var lastInsertRowid: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Sets the busy timeout: how long a blocked writer waits before SQLITE_BUSY.
    func setBusyTimeout(milliseconds: Int32) {
        sqlite3_busy_timeout(handle, milliseconds)
    }
}
