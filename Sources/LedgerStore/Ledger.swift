#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSQLite
import Events

/// An open remedy ledger: one SQLite file of append-only events and their integrity tree.
///
/// Open it for writing to append (the file and, at the default location, its folder are
/// created on first write) or for reading to query and verify. One `Ledger` holds one
/// connection and is used from one thread; many processes may use the same file at once.
///
/// ```swift
/// let ledger = try Ledger.open(LedgerPath(path: "ledger.db"), mode: .readWrite)
/// let result = try ledger.append(try ProposedEvent(stream: StreamName("fix-42"),
///                                                  type: EventType("FixProposed"),
///                                                  json: Array(#"{"lever":"code"}"#.utf8)))
/// print(result.position)
/// ```
public final class Ledger {
    /// Whether a ledger is opened to append or only to read.
    public enum AccessMode: Sendable {
        /// Creates the ledger if it does not exist, and migrates it to the current schema.
        case readWrite
        /// Requires an existing ledger and never writes to it.
        case readOnly
    }

    public let location: LedgerPath
    public let mode: AccessMode
    let connection: SQLiteConnection
    let configuration: LedgerConfiguration
    /// Kept open as long as the connection (see ``LockedFile``).
    private let lockedFile: LockedFile
    var idGenerator = EventIDGenerator()

    private init(location: LedgerPath, mode: AccessMode, connection: SQLiteConnection,
                 configuration: LedgerConfiguration, lockedFile: LockedFile) {
        self.location = location
        self.mode = mode
        self.connection = connection
        self.configuration = configuration
        self.lockedFile = lockedFile
    }

    /// Opens the ledger at `location`.
    ///
    /// Opening, configuring and migrating happen under an exclusive file lock, so any number
    /// of processes may race to create the same new ledger.
    ///
    /// - Throws: ``LedgerError`` with code `.missingFolder`, `.ledgerNotFound`, `.readOnly`,
    ///   `.notALedger`, `.newerSchema` or `.storage`.
    public static func open(
        _ location: LedgerPath, mode: AccessMode, configuration: LedgerConfiguration = .default
    ) throws -> Ledger {
        let path = location.path
        let writable = mode == .readWrite
        if writable { try ensureFolder(of: location) }
        guard let file = LockedFile(path: path, create: writable, writable: writable) else {
            let code = errno
            switch code {
            case ENOENT where !writable:
                throw LedgerError(.ledgerNotFound, "no ledger at \(path): append an event or run `remedy demo` to create one")
            case ENOENT:
                throw LedgerError(.missingFolder, "cannot create the ledger \(path): its folder does not exist")
            case EACCES, EPERM, EROFS:
                throw LedgerError(.readOnly, "cannot \(writable ? "write" : "read") the ledger \(path): \(errnoMessage(code))")
            case EISDIR:
                throw LedgerError(.notALedger, "\(path) is a folder, not a ledger file")
            default:
                throw LedgerError(.storage, "cannot open the ledger \(path): \(errnoMessage(code))")
            }
        }
        let status = file.status()
        if writable && status.mode & 0o222 == 0 {
            throw LedgerError(.readOnly, "the ledger \(path) is read-only (mode \(String(status.mode & 0o777, radix: 8))); make it writable to append")
        }
        file.lock(exclusive: writable)
        defer { file.unlock() }
        if !writable && file.status().size == 0 {
            throw LedgerError(.ledgerNotFound, "the ledger \(path) is empty: append an event or run `remedy demo` first")
        }
        let connection: SQLiteConnection
        do {
            connection = try SQLiteConnection(path: path, flags: writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY)
        } catch let error as SQLiteError {
            throw LedgerError(.storage, "cannot open the ledger \(path): \(error.message)")
        }
        let ledger = Ledger(location: location, mode: mode, connection: connection, configuration: configuration, lockedFile: file)
        try ledger.mapErrors("open") {
            try ledger.configure()
            try ledger.migrate()
        }
        return ledger
    }

    private static func ensureFolder(of location: LedgerPath) throws {
        let folder = location.folder
        var info = stat()
        if stat(folder, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw LedgerError(.missingFolder, "cannot create the ledger \(location.path): \(folder) is not a folder")
            }
            return
        }
        guard location.isDefault else {
            throw LedgerError(.missingFolder, "cannot create the ledger \(location.path): the folder \(folder) does not exist (create it, or choose another --ledger path)")
        }
        if mkdir(folder, 0o755) != 0 && errno != EEXIST {
            let code = errno
            throw LedgerError(code == EACCES || code == EROFS || code == EPERM ? .readOnly : .storage,
                              "cannot create the folder \(folder): \(errnoMessage(code))")
        }
    }

    /// The page size of new ledgers: 16 KiB rather than SQLite's 4 KiB default.
    ///
    /// A bulk append writes every page twice (to the WAL, then at the checkpoint), one system
    /// call per page; 16 KiB pages cut those calls fourfold and took a million-event batch from
    /// 12 s to 9.5 s on the reference machine, while a single append's commit stays a handful of
    /// pages. See <https://www.sqlite.org/pragma.html#pragma_page_size>.
    static let pageSize = 16_384

    private func configure() throws {
        connection.setBusyTimeout(milliseconds: configuration.busyTimeoutMilliseconds)
        // Reading the header first turns "not a database" into a clear error before any write.
        let applicationID = try connection.scalarInt("PRAGMA application_id") ?? 0
        let tableCount = try connection.scalarInt("SELECT count(*) FROM sqlite_schema") ?? 0
        if applicationID != LedgerSchema.applicationID && tableCount > 0 {
            throw LedgerError(.notALedger, "\(location.path) is a SQLite database but not a remedy ledger")
        }
        if mode == .readWrite {
            // A CLI process appends and exits: checkpointing at every exit would add a second
            // fsync to every single append. Automatic checkpoints (every 1,000 pages) keep the
            // WAL short, and large batches checkpoint what they wrote (``checkpointAfter(appended:)``).
            _ = remedy_sqlite3_no_checkpoint_on_close(connection.handle)
            if tableCount == 0 {
                // Only before the first table is written does the page size take effect.
                try connection.execute("PRAGMA page_size=\(Self.pageSize)")
            }
            _ = try connection.scalarText("PRAGMA journal_mode=WAL")
            try connection.execute("PRAGMA synchronous=\(configuration.synchronous.rawValue)")
        }
        try connection.execute("PRAGMA cache_size=-\(configuration.cacheSizeKiB)")
    }

    /// Applies the migrations this file lacks, in one transaction, and refuses newer files.
    private func migrate() throws {
        let hasTable = try connection.scalarInt(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'") == 1
        let current = hasTable ? try connection.scalarInt("SELECT max(version) FROM schema_migrations") ?? 0 : 0
        if current > LedgerSchema.latestVersion {
            throw LedgerError(.newerSchema, "the ledger \(location.path) has schema version \(current), newer than this remedy understands (\(LedgerSchema.latestVersion)); upgrade remedy to use it")
        }
        guard current < LedgerSchema.latestVersion else { return }
        guard mode == .readWrite else {
            if current == 0 { throw LedgerError(.notALedger, "\(location.path) is not a remedy ledger (no schema)") }
            // Later migrations add derived tables only; reading works on any schema from 1 on.
            return
        }
        try transaction {
            try connection.execute(LedgerSchema.bootstrap)
            let now = Timestamp.now().description
            for version in (current + 1)...LedgerSchema.latestVersion {
                let migration = LedgerSchema.migrations[version - 1]
                try connection.execute(migration.sql)
                let record = try connection.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
                try record.bind([.int(version), .text(migration.name), .text(now)])
                try record.run()
            }
            try connection.execute("PRAGMA application_id=\(LedgerSchema.applicationID)")
        }
    }

    /// The schema version recorded in the file.
    public func schemaVersion() throws -> Int {
        try mapErrors("read") { try connection.scalarInt("SELECT max(version) FROM schema_migrations") ?? 0 }
    }

    /// Copies a large commit's pages from the WAL into the database before the process exits,
    /// so the batch (or rebuild) that wrote them pays for it, not the next reader or append.
    func checkpointAfter(appended: Int) {
        guard appended >= 10_000 else { return }
        try? connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// Runs `body` in a write transaction (`BEGIN IMMEDIATE`): all of it commits, or none.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try connection.execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try connection.execute("COMMIT")
            return result
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }

    /// Runs `body`, turning SQLite's errors into ledger errors that say what to do.
    func mapErrors<T>(_ action: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SQLiteError {
            throw ledgerError(from: error, action: action)
        }
    }

    func ledgerError(from error: SQLiteError, action: String) -> LedgerError {
        let path = location.path
        switch error.code {
        case SQLITE_NOTADB:
            return LedgerError(.notALedger, "\(path) is not a remedy ledger: the file is not a SQLite database")
        case SQLITE_CORRUPT:
            return LedgerError(.corrupt, "the ledger \(path) is damaged: \(error.message); run `remedy verify`")
        case SQLITE_BUSY, SQLITE_LOCKED:
            let seconds = Double(configuration.busyTimeoutMilliseconds) / 1000
            return LedgerError(.busy, "the ledger \(path) is busy: another writer held it for more than \(seconds) s; try again, or wait longer with --busy-timeout")
        case SQLITE_READONLY, SQLITE_PERM:
            return LedgerError(.readOnly, "cannot write the ledger \(path): \(error.message)")
        case SQLITE_FULL:
            return LedgerError(.storage, "cannot \(action) the ledger \(path): the disk is full; nothing was written")
        default:
            return LedgerError(.storage, "cannot \(action) the ledger \(path): \(error.message)")
        }
    }
}
