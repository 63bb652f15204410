import CSQLite

/// A value to bind to a statement parameter.
enum SQLiteValue {
    case int(Int)
    case text(String)
    case blob([UInt8])
    case null
}

/// A prepared statement: bind, step, read columns, reset.
final class SQLiteStatement {
    private unowned let connection: SQLiteConnection
    private var handle: OpaquePointer?

    /// `SQLITE_TRANSIENT`: SQLite copies bound values, so Swift buffers can go away at once.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(connection: SQLiteConnection, sql: String, persistent: Bool) throws {
        self.connection = connection
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let rc = sqlite3_prepare_v3(connection.handle, sql, -1, flags, &handle, nil)
        if rc != SQLITE_OK { throw connection.error(rc) }
    }

    deinit { sqlite3_finalize(handle) }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    func bind(_ values: [SQLiteValue]) throws {
        for (offset, value) in values.enumerated() {
            try bind(value, at: Int32(offset + 1))
        }
    }

    func bind(_ value: SQLiteValue, at index: Int32) throws {
        let rc: Int32
        switch value {
        case .int(let v): rc = sqlite3_bind_int64(handle, index, sqlite3_int64(v))
        case .text(let v): rc = sqlite3_bind_text(handle, index, v, -1, Self.transient)
        case .blob(let v): rc = bind(blob: v, at: index)
        case .null: rc = sqlite3_bind_null(handle, index)
        }
        try connection.check(rc)
    }

    func bind(_ value: Int, at index: Int32) {
        sqlite3_bind_int64(handle, index, sqlite3_int64(value))
    }

    func bind(_ value: String, at index: Int32) {
        sqlite3_bind_text(handle, index, value, -1, Self.transient)
    }

    @discardableResult
    func bind(blob bytes: some BlobBytes, at index: Int32) -> Int32 {
        bytes.withUnsafeBytes { raw in
            sqlite3_bind_blob(handle, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(raw.count), Self.transient)
        }
    }

    /// Binds text SQLite reads where it is, without a copy (`SQLITE_STATIC`): the bytes must
    /// stay put and unchanged until the statement is reset. See ``InPlaceBindings``.
    func bindInPlace(text bytes: UnsafeRawBufferPointer, at index: Int32) throws {
        let start = (bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!).assumingMemoryBound(to: CChar.self)
        try connection.check(sqlite3_bind_text(handle, index, start, Int32(bytes.count), nil))
    }

    /// Binds a blob SQLite reads where it is, as ``bindInPlace(text:at:)``.
    func bindInPlace(blob bytes: UnsafeRawBufferPointer, at index: Int32) throws {
        try connection.check(sqlite3_bind_blob(handle, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32(bytes.count), nil))
    }

    /// Advances to the next row: true when there is one, false when done.
    func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw connection.error(rc)
    }

    /// Runs a statement that returns no rows.
    func run() throws {
        _ = try step()
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }

    func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }

    func columnIsInteger(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_INTEGER }

    func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// The column's bytes (blob or text), valid only until the next step or reset: the
    /// zero-copy read path.
    func blobBuffer(_ column: Int32) -> UnsafeRawBufferPointer {
        let pointer = sqlite3_column_blob(handle, column)
        let count = Int(sqlite3_column_bytes(handle, column))
        return UnsafeRawBufferPointer(start: pointer, count: pointer == nil ? 0 : count)
    }

    func blob(_ column: Int32) -> [UInt8] { Array(blobBuffer(column)) }
}

/// Bytes readable in place (arrays, digests).
protocol BlobBytes {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: BlobBytes where Element == UInt8 {}
extension ArraySlice: BlobBytes where Element == UInt8 {}

extension UnsafeRawBufferPointer: BlobBytes {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R { try body(self) }
}

extension TreeHash: BlobBytes {}
