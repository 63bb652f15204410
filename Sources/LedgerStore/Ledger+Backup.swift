#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSQLite
import SystemIO

extension Ledger {
    /// Writes a consistent copy of the whole ledger to one file while writers keep writing.
    ///
    /// SQLite's online backup copies every page in one step, under one read transaction, so
    /// the copy is the ledger as of one commit, whatever commits during it. The copy is in
    /// rollback-journal mode (no `-wal` or `-shm` beside it: it opens read-only anywhere, a
    /// read-only folder included), written under a temporary name, synced, and renamed into
    /// place. See <https://www.sqlite.org/backup.html>.
    ///
    /// - Returns: the copy's tree head.
    /// - Throws: ``LedgerError``: `.conflict` when `path` exists (unless `replacing`) or is this
    ///   ledger, `.storage` when it cannot be written (the disk is full, say).
    @discardableResult
    public func backup(to path: String, replacing: Bool = false) throws -> TreeHead {
        try checkOutput(path, replacing: replacing)
        let file: PartialFile
        do { file = try PartialFile(finalPath: path) } catch let error as SystemIOError { throw LedgerError(error) }
        let head: TreeHead = try mapErrors("back up") {
            let copy = try SQLiteConnection(path: file.temporaryPath, flags: SQLITE_OPEN_READWRITE)
            guard let backup = sqlite3_backup_init(copy.handle, "main", connection.handle, "main") else { throw copy.error(sqlite3_errcode(copy.handle)) }
            let rc = sqlite3_backup_step(backup, -1)
            sqlite3_backup_finish(backup)
            guard rc == SQLITE_DONE else {
                if rc == SQLITE_FULL { throw LedgerError(.storage, "cannot write \(path): the disk is full; nothing was written") }
                // The copy's own error (an I/O error writing it) names the copy, not the ledger.
                if sqlite3_errcode(copy.handle) != SQLITE_OK {
                    throw LedgerError(.storage, "cannot write \(path): \(String(cString: sqlite3_errmsg(copy.handle))); nothing was written")
                }
                throw copy.error(rc)
            }
            _ = try copy.scalarText("PRAGMA journal_mode=DELETE")
            guard let size = try copy.scalarInt("SELECT size FROM tree_state WHERE id = 1"),
                  let root = try copy.scalarBlob("SELECT root FROM tree_heads WHERE size = ?", .int(size)).flatMap({ TreeHash(bytes: $0) }) ?? (size == 0 ? MerkleTree.emptyRoot : nil) else {
                throw LedgerError(.corrupt, "the copy of \(location.path) has no tree head; run `remedy verify`")
            }
            return TreeHead(size: size, root: root)
        }
        do { try file.commit() } catch let error as SystemIOError { throw LedgerError(error) }
        return head
    }

    /// Writes a copy of a ledger another store holds (a PostgreSQL one) as one SQLite file:
    /// every event byte for byte and every signed checkpoint (``LedgerCopy``), the copy
    /// verified, in rollback-journal mode, written under a temporary name and renamed into
    /// place, as ``backup(to:replacing:)`` writes a file's.
    ///
    /// - Returns: the copy's tree head.
    /// - Throws: ``LedgerError``: `.conflict` when `path` exists (unless `replacing`),
    ///   `.storage` when it cannot be written.
    @discardableResult
    public static func backup(of source: any EventStore, to path: String, replacing: Bool = false) throws -> TreeHead {
        try source.checkOutput(path, replacing: replacing)
        let file: PartialFile
        do { file = try PartialFile(finalPath: path) } catch let error as SystemIOError { throw LedgerError(error) }
        let head: TreeHead = try {
            let copy = try Ledger.open(LedgerPath(path: file.temporaryPath), mode: .readWrite, create: .ifMissing(origin: try source.origin()))
            let head = try LedgerCopy.copy(from: source, to: copy).treeHead
            _ = try copy.mapErrors("back up") { try copy.connection.scalarText("PRAGMA journal_mode=DELETE") }
            return head
        }()
        do { try file.commit() } catch let error as SystemIOError { throw LedgerError(error) }
        return head
    }

    /// Checks that a file may be written at `path`: never the ledger itself, and a file that
    /// exists only when asked to replace it.
    ///
    /// - Throws: ``LedgerError`` (`.conflict`).
    public func checkOutput(_ path: String, replacing: Bool) throws {
        try OutputPath.check(path, replacing: replacing) { isSameFile($0, location.path) || isSameFile($0, location.path + "-wal") }
    }
}
