import CSQLite

/// A map from text keys to short byte values kept on disk, in a private temporary SQLite
/// database that disappears when the map is released: for what a command tracks per case of
/// a report that may hold millions of them, which would otherwise grow its memory with the
/// report.
///
/// Why SQLite and not a file of our own: sorted iteration, point lookups and replacement come
/// with it, its page cache is bounded (``cacheKiB``), and it spills to the temporary folder
/// SQLite already uses (`SQLITE_TMPDIR`, `TMPDIR`, then `/var/tmp` and `/tmp`). Nothing in it
/// is ever durable: no journal, no fsync.
///
/// ```swift
/// let map = try ScratchMap()
/// try map.set([1, 0, 2], for: "pkg.Test::test_one")
/// try map.value(for: "pkg.Test::test_one")        // [1, 0, 2]
/// try map.forEach { key, value in print(key) }    // in key order (UTF-8 bytes)
/// ```
public final class ScratchMap {
    private let connection: SQLiteConnection

    /// The page cache each map may fill before SQLite writes pages out to its file.
    public static let cacheKiB = 2048

    /// Opens an empty map.
    ///
    /// - Throws: ``LedgerError`` (`.storage`) when the temporary database cannot be made.
    public init() throws {
        do {
            // An empty name is SQLite's private temporary database on disk, deleted on close.
            connection = try SQLiteConnection(path: "", flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            try connection.execute("""
                PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -\(Self.cacheKiB);
                CREATE TABLE scratch (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
                """)
        } catch let error as SQLiteError {
            throw Self.failure(error)
        }
    }

    /// The value stored for `key`, if any.
    public func value(for key: String) throws -> [UInt8]? {
        try run {
            let find = try connection.cachedStatement("SELECT value FROM scratch WHERE key = ?")
            defer { find.reset() }
            find.bind(blob: Array(key.utf8), at: 1)
            return try find.step() ? find.blob(0) : nil
        }
    }

    /// Stores `value` for `key`, replacing what was there.
    public func set(_ value: [UInt8], for key: String) throws {
        try run {
            let store = try connection.cachedStatement("INSERT OR REPLACE INTO scratch (key, value) VALUES (?, ?)")
            // Keys as bytes: a key may hold any character, NUL included, and bytes sort as UTF-8.
            store.bind(blob: Array(key.utf8), at: 1)
            store.bind(blob: value, at: 2)
            try store.run()
        }
    }

    /// Stores many values at once, replacing what was there: one transaction for all of them.
    public func set(_ values: some Sequence<(key: String, value: [UInt8])>) throws {
        try run { try connection.execute("BEGIN") }
        do {
            for (key, value) in values { try set(value, for: key) }
            try run { try connection.execute("COMMIT") }
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// Calls `body` with each key and its value, in the order of the keys' UTF-8 bytes.
    public func forEach(_ body: (String, UnsafeRawBufferPointer) throws -> Void) throws {
        try run {
            let all = try connection.prepare("SELECT key, value FROM scratch ORDER BY key")
            while try all.step() { try body(String(decoding: all.blobBuffer(0), as: UTF8.self), all.blobBuffer(1)) }
        }
    }

    private func run<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SQLiteError {
            throw Self.failure(error)
        }
    }

    private static func failure(_ error: SQLiteError) -> LedgerError {
        let folder = "the temporary folder (SQLITE_TMPDIR, TMPDIR, /var/tmp or /tmp)"
        if error.code == SQLITE_FULL {
            return LedgerError(.storage, "cannot keep a large report's cases on disk: \(folder) is full; nothing was written")
        }
        return LedgerError(.storage, "cannot keep a large report's cases on disk in \(folder): \(error.message); nothing was written")
    }
}
