#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSQLite
import Events
@_exported import LedgerCore
import SystemIO

/// An open remedy ledger: one SQLite file of append-only events and their integrity tree.
///
/// Open it for writing to append, or for reading to query and verify. Only creation is
/// explicit (``Creation/ifMissing(origin:)``, what `remedy init` and `--init` ask for): a
/// ledger that is missing where one was expected (a CI cache miss, a typo) is an error, never
/// silently a new empty ledger. One `Ledger` holds one connection and is used from one thread;
/// many processes may use the same file at once.
///
/// ```swift
/// let ledger = try Ledger.open(LedgerPath(path: "ledger.db"), mode: .readWrite, create: .ifMissing())
/// let result = try ledger.append(try ProposedEvent(stream: StreamName("fix-42"),
///                                                  type: EventType("FixProposed"),
///                                                  json: Array(#"{"lever":"code"}"#.utf8)))
/// print(result.position)
/// ```
public final class Ledger {
    /// Whether a ledger is opened to append or only to read.
    public enum AccessMode: Sendable {
        /// Migrates the ledger to the current schema and allows appends.
        case readWrite
        /// Requires an existing ledger and never writes to it.
        case readOnly
    }

    /// Whether opening may create the ledger (``LedgerCreation``).
    public typealias Creation = LedgerCreation

    public let location: LedgerPath
    public let mode: AccessMode
    let connection: SQLiteConnection
    /// Held by each lane of a fold around what it runs on ``connection`` (see ``ConnectionLock``).
    let foldLock = ConnectionLock()
    let configuration: LedgerConfiguration
    /// Kept open as long as the connection (see ``LockedFile``).
    private let lockedFile: LockedFile
    var idGenerator = EventIDGenerator()
    /// Set when a read-only ledger had to be opened as an immutable file: its folder lets
    /// nobody create the WAL index; the note says what that may leave out.
    public private(set) var readOnlyNote: String?
    /// Whether the file was opened as immutable (see ``readOnlyNote``).
    private(set) var isImmutable = false
    /// Whether the last commit's checkpoint copied the whole WAL into the file.
    private var walIsCopied = true

    private init(location: LedgerPath, mode: AccessMode, connection: SQLiteConnection,
                 configuration: LedgerConfiguration, lockedFile: LockedFile) {
        self.location = location
        self.mode = mode
        self.connection = connection
        self.configuration = configuration
        self.lockedFile = lockedFile
    }

    deinit { finishCheckpoint() }

    /// Opens the ledger at `location`.
    ///
    /// Opening, configuring and migrating happen under an exclusive file lock, so any number
    /// of processes may race to create the same new ledger: one creates it, the others open it.
    /// A read-only ledger (a downloaded copy, another user's file, a read-only folder) opens for
    /// reading without writing a byte.
    ///
    /// - Throws: ``LedgerError`` with code `.ledgerNotFound` (missing, and not to be created),
    ///   `.missingFolder`, `.readOnly`, `.notALedger`, `.newerSchema` or `.storage`.
    public static func open(
        _ location: LedgerPath, mode: AccessMode, create: Creation = .never, configuration: LedgerConfiguration = .default
    ) throws -> Ledger {
        let path = location.path
        let writable = mode == .readWrite
        var origin: String?
        var creating = false
        if writable, case .ifMissing(let given) = create {
            creating = true
            origin = given
            if let given { try LedgerOrigin.validate(given) }
            try ensureFolder(of: location)
        }
        guard let file = LockedFile(path: path, create: creating, writable: writable) else {
            let code = errno
            switch code {
            case ENOENT where creating:
                throw LedgerError(.missingFolder, "cannot create the ledger \(path): its folder does not exist")
            case ENOENT:
                throw notFound(path)
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
        if writable { alignEmptyWALMode(path, to: status.mode) }
        if !creating && file.status().size == 0 {
            // An empty file is what a creator that failed leaves: not a ledger.
            throw LedgerError(.ledgerNotFound, "the ledger \(path) is an empty file, not a ledger: create one with `remedy init`")
        }
        let ledger: Ledger
        do {
            ledger = try connect(location, mode: mode, configuration: configuration, file: file, immutable: false)
        } catch let error as SQLiteError where !writable && Self.needsWALIndex(error) {
            // A WAL ledger needs its -shm index, which a read-only folder keeps anyone from
            // creating. Every command that writes leaves the file itself complete (see
            // ``checkpointAfterCommit()``), so reading it as an immutable file is exact unless
            // a writer died before its checkpoint: then the -wal holds what the note names.
            do {
                ledger = try connect(location, mode: mode, configuration: configuration, file: file, immutable: true)
            } catch let error as SQLiteError {
                throw ledgerError(from: error, action: "open", path: path, busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds)
            }
            let wal = SystemIO.fileSize(atPath: path + "-wal") ?? 0
            if wal > 32 {
                ledger.readOnlyNote = "\(path)-wal holds \(wal) bytes a read-only folder keeps remedy from reading; answers reflect \(path) alone"
            }
        } catch let error as SQLiteError where writable && Self.needsWALIndex(error) {
            throw LedgerError(.readOnly, "cannot write the ledger \(path): SQLite cannot create its -wal and -shm files in \(location.folder) (\(error.message))")
        } catch let error as SQLiteError {
            throw ledgerError(from: error, action: "open", path: path, busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds)
        }
        try ledger.mapErrors("open") {
            try ledger.configure()
            try ledger.migrate(LedgerSchema.MigrationContext(origin: origin))
        }
        return ledger
    }

    /// Gives an empty `-wal` the ledger file's mode again. SQLite sets an empty `-wal`'s mode
    /// to the database file's whenever it opens one, readers included: a read while the ledger
    /// was read-only (`chmod 444`) leaves the `-wal` read-only too, and the first writer after
    /// `chmod 644` would be refused with "attempt to write a readonly database" (the one after
    /// it not). Called under the exclusive lock, before SQLite opens the file.
    private static func alignEmptyWALMode(_ path: String, to mode: UInt32) {
        var wal = stat()
        guard stat(path + "-wal", &wal) == 0, wal.st_size == 0, wal.st_uid == geteuid(),
              UInt32(wal.st_mode) & 0o777 != mode & 0o777 else { return }
        chmod(path + "-wal", mode_t(mode & 0o777))
    }

    private static func connect(_ location: LedgerPath, mode: AccessMode, configuration: LedgerConfiguration,
                                file: LockedFile, immutable: Bool) throws -> Ledger {
        let connection = try openConnection(location.path, writable: mode == .readWrite, immutable: immutable)
        connection.setBusyTimeout(milliseconds: configuration.busyTimeoutMilliseconds)
        let ledger = Ledger(location: location, mode: mode, connection: connection, configuration: configuration, lockedFile: file)
        ledger.isImmutable = immutable
        // The first read finds out whether the WAL index can be had.
        _ = try connection.scalarInt("PRAGMA application_id")
        return ledger
    }

    private static func openConnection(_ path: String, writable: Bool, immutable: Bool) throws -> SQLiteConnection {
        if immutable {
            return try SQLiteConnection(path: "file:" + uriEscaped(path) + "?immutable=1", flags: SQLITE_OPEN_READONLY | SQLITE_OPEN_URI)
        }
        return try SQLiteConnection(path: path, flags: writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY)
    }

    /// A second, read-only connection to the same file, opened the way this one was: for a
    /// thread that reads while this connection writes.
    func readerConnection() throws -> SQLiteConnection {
        let reader = try Self.openConnection(location.path, writable: false, immutable: isImmutable)
        reader.setBusyTimeout(milliseconds: configuration.busyTimeoutMilliseconds)
        return reader
    }

    /// Whether opening failed only because the WAL index (-shm) could not be created.
    private static func needsWALIndex(_ error: SQLiteError) -> Bool {
        error.code == SQLITE_READONLY || error.code == SQLITE_CANTOPEN
    }

    /// Percent-escapes a path for a `file:` URI (<https://www.sqlite.org/uri.html>).
    private static func uriEscaped(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + String(byte >> 4, radix: 16) + String(byte & 15, radix: 16)
            }
        }
        return out
    }

    static func notFound(_ path: String) -> LedgerError {
        LedgerError(.ledgerNotFound, "no ledger at \(path): create one with `remedy init` (or pass --init to append or ingest)")
    }

    /// Whether a ledger file exists at `location`: a file with something in it, and SQLite
    /// tables if it is SQLite.
    public static func exists(_ location: LedgerPath) -> Bool {
        guard (SystemIO.fileSize(atPath: location.path) ?? 0) > 0 else { return false }
        // A creator killed before its schema committed leaves an SQLite file without a table:
        // not a ledger yet, and creating one there is what the next creator does.
        // A creator killed mid-transaction leaves a hot journal beside a half-written file,
        // which a read-only connection cannot roll back: it sees the half-written tables, or
        // no database at all. Opening the file for writing rolls the journal back, as any
        // writer would. (A ledger is in WAL mode: a `-journal` beside one is such a leftover.)
        if SystemIO.fileSize(atPath: location.path + "-journal") != nil,
           let tables = tableCount(location.path, flags: SQLITE_OPEN_READWRITE) {
            return tables > 0
        }
        guard let tables = tableCount(location.path, flags: SQLITE_OPEN_READONLY) else { return true }
        return tables > 0
    }

    private static func tableCount(_ path: String, flags: Int32) -> Int? {
        guard let connection = try? SQLiteConnection(path: path, flags: flags) else { return nil }
        return try? connection.scalarInt("SELECT count(*) FROM sqlite_schema")
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
            // Closing would checkpoint only when this is the last connection to the file; every
            // commit checkpoints instead (``checkpointAfterCommit()``), whoever else is reading.
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
    private func migrate(_ context: LedgerSchema.MigrationContext) throws {
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
                try migration.backfill?(connection, context)
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

    /// Copies what a commit wrote from the WAL into the ledger file itself.
    ///
    /// A CI job that uploads `.remedy/ledger.db` as an artifact, a `cp`, an old `sqlite3`
    /// without the `-wal` file: each sees only the ledger file. So every commit is followed by
    /// a checkpoint, and when a command exits the file alone holds every committed event.
    ///
    /// When no other connection is reading, the checkpoint also empties the WAL (TRUNCATE):
    /// the next process then starts from an empty log instead of re-reading this commit's
    /// frames to rebuild its index, and its own checkpoint copies only its own pages. When
    /// another connection is busy it never waits for it: a passive checkpoint copies what
    /// that connection's snapshot allows, retried for up to about 45 ms; what is left is
    /// copied by the next commit, or when the ledger is closed (``finishCheckpoint()``).
    /// The cost is one more fsync per commit (see BENCHMARKS.md).
    func checkpointAfterCommit() {
        guard mode == .readWrite else { return }
        sqlite3_busy_timeout(connection.handle, 0)
        defer { connection.setBusyTimeout(milliseconds: configuration.busyTimeoutMilliseconds) }
        walIsCopied = sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_TRUNCATE, nil, nil) == SQLITE_OK
            || passiveCheckpoint(attempts: 10)
    }

    /// Copies what it can of the WAL, retrying while a reader's snapshot holds frames back;
    /// whether the WAL is copied whole.
    private func passiveCheckpoint(attempts: Int) -> Bool {
        for attempt in 0..<attempts {
            var log: Int32 = 0, copied: Int32 = 0
            let rc = sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
            if rc == SQLITE_OK && copied >= log { return true }
            if rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED { return false }
            if attempt + 1 < attempts { usleep(UInt32(1_000 * min(attempt + 1, 10))) }
        }
        return false
    }

    /// When the last commit's checkpoint was held back by a reader, tries again for up to
    /// about a quarter of a second before the connection closes, so the command exits with
    /// the file complete unless a reader holds an old snapshot all that while (or the
    /// process ends without releasing the ledger).
    private func finishCheckpoint() {
        guard mode == .readWrite, !walIsCopied else { return }
        sqlite3_busy_timeout(connection.handle, 0)
        defer { connection.setBusyTimeout(milliseconds: configuration.busyTimeoutMilliseconds) }
        walIsCopied = passiveCheckpoint(attempts: 30)
    }

    /// Runs `body` in a write transaction (`BEGIN IMMEDIATE`): all of it commits, or none.
    /// Once committed, the ledger file holds it (``checkpointAfterCommit()``).
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try connection.execute("BEGIN IMMEDIATE")
        let result: T
        do {
            result = try body()
            try connection.execute("COMMIT")
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
        checkpointAfterCommit()
        return result
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
        Self.ledgerError(from: error, action: action, path: location.path, busyTimeoutMilliseconds: configuration.busyTimeoutMilliseconds)
    }

    static func ledgerError(from error: SQLiteError, action: String, path: String, busyTimeoutMilliseconds: Int32) -> LedgerError {
        switch error.code {
        case SQLITE_NOTADB:
            return LedgerError(.notALedger, "\(path) is not a remedy ledger: the file is not a SQLite database")
        case SQLITE_CORRUPT:
            return LedgerError(.corrupt, "the ledger \(path) is damaged: \(error.message); run `remedy verify`")
        case SQLITE_BUSY, SQLITE_LOCKED:
            let seconds = Double(busyTimeoutMilliseconds) / 1000
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
