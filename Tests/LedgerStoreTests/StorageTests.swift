import Foundation
import XCTest
import Events
@testable import LedgerStore

/// Opening ledgers: creation, migrations, and every file the ledger must refuse.
final class StorageTests: XCTestCase {
    func testNewLedgerIsWALWithFullSyncAndRecordsItsMigrations() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        XCTAssertEqual(try ledger.connection.scalarText("PRAGMA journal_mode"), "wal")
        XCTAssertEqual(try ledger.connection.scalarInt("PRAGMA synchronous"), 2, "FULL")
        XCTAssertGreaterThan(try ledger.connection.scalarInt("PRAGMA busy_timeout") ?? 0, 0)
        XCTAssertEqual(try ledger.schemaVersion(), LedgerSchema.latestVersion)
        XCTAssertEqual(try ledger.connection.scalarInt("SELECT count(*) FROM schema_migrations"), LedgerSchema.latestVersion)
        XCTAssertEqual(try ledger.connection.scalarInt("PRAGMA application_id"), LedgerSchema.applicationID)
        // Opening again neither re-migrates nor fails.
        _ = try folder.openLedger()
        XCTAssertEqual(try ledger.connection.scalarInt("SELECT count(*) FROM schema_migrations"), LedgerSchema.latestVersion)
    }

    func testTheDatabaseItselfRefusesUpdateAndDelete() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        try ledger.append(event("fix-1"))
        for sql in ["DELETE FROM events", "UPDATE events SET body = x'00'", "UPDATE events SET stream = 'fix-2'",
                    "DELETE FROM tree_heads", "UPDATE tree_heads SET root = x'00'"] {
            XCTAssertThrowsError(try ledger.connection.execute(sql), sql) { error in
                XCTAssertTrue("\(error)".contains("append-only"), "\(error)")
            }
        }
        XCTAssertEqual(try ledger.events(EventQuery()).count, 1)
        XCTAssertEqual(try ledger.verify().verifiedSize, 1)
    }

    func testDefaultLocationCreatesItsFolderButAnExplicitPathDoesNot() throws {
        let folder = TemporaryFolder()
        let defaultLike = LedgerPath(path: folder.file(".remedy/ledger.db"), isDefault: true)
        _ = try Ledger.open(defaultLike, mode: .readWrite)
        XCTAssertTrue(FileManager.default.fileExists(atPath: defaultLike.path))

        let explicit = LedgerPath(path: folder.file("missing/ledger.db"))
        assertLedgerError(.missingFolder, "the folder \(folder.file("missing")) does not exist") {
            try Ledger.open(explicit, mode: .readWrite)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("missing")))
    }

    func testResolvingTheLocation() {
        XCTAssertEqual(LedgerPath.resolve(explicit: "a.db", environment: ["REMEDY_LEDGER": "b.db"]), LedgerPath(path: "a.db"))
        XCTAssertEqual(LedgerPath.resolve(explicit: nil, environment: ["REMEDY_LEDGER": "b.db"]), LedgerPath(path: "b.db"))
        XCTAssertEqual(LedgerPath.resolve(explicit: nil, environment: [:]), LedgerPath(path: ".remedy/ledger.db", isDefault: true))
        XCTAssertEqual(LedgerPath(path: "ledger.db").folder, ".")
        XCTAssertEqual(LedgerPath(path: "/ledger.db").folder, "/")
    }

    func testReadingANonexistentLedgerFailsWithoutCreatingIt() throws {
        let folder = TemporaryFolder()
        assertLedgerError(.ledgerNotFound, "no ledger at") { try folder.openLedger("none.db", mode: .readOnly) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("none.db")))
    }

    func testAFileThatIsNotASQLiteDatabaseIsRefusedAndLeftAlone() throws {
        let folder = TemporaryFolder()
        let path = folder.file("notes.db")
        let text = Data(String(repeating: "these are my notes, not a database\n", count: 200).utf8)
        _ = FileManager.default.createFile(atPath: path, contents: text)
        for mode in [Ledger.AccessMode.readWrite, .readOnly] {
            assertLedgerError(.notALedger, "is not a remedy ledger: the file is not a SQLite database") {
                try Ledger.open(LedgerPath(path: path), mode: mode)
            }
        }
        XCTAssertEqual(contents(path), text)
    }

    func testAnotherApplicationsSQLiteDatabaseIsRefused() throws {
        let folder = TemporaryFolder()
        let path = folder.file("other.db")
        do {
            let other = try SQLiteConnection(path: path, flags: 0x02 | 0x04)
            try other.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY)")
        }
        let before = contents(path)
        assertLedgerError(.notALedger, "a SQLite database but not a remedy ledger") { try Ledger.open(LedgerPath(path: path), mode: .readWrite) }
        XCTAssertEqual(contents(path), before)
    }

    func testALedgerFromANewerSchemaIsRefused() throws {
        let folder = TemporaryFolder()
        do {
            let ledger = try folder.openLedger()
            try ledger.append(event("fix-1"))
            try ledger.connection.execute("INSERT INTO schema_migrations VALUES (99, 'from the future', '2030-01-01T00:00:00.000Z')")
        }
        for mode in [Ledger.AccessMode.readWrite, .readOnly] {
            assertLedgerError(.newerSchema, "schema version 99, newer than this remedy understands (\(LedgerSchema.latestVersion))") {
                try folder.openLedger(mode: mode)
            }
        }
    }

    func testAReadOnlyLedgerFileRefusesAppendsButCanBeRead() throws {
        let folder = TemporaryFolder()
        let path = folder.file("ledger.db")
        do { try folder.openLedger().append(event("fix-1")) }
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path) }
        let before = contents(path)
        assertLedgerError(.readOnly, "is read-only (mode 444)") { try folder.openLedger() }
        XCTAssertEqual(contents(path), before)
        let reader = try folder.openLedger(mode: .readOnly)
        XCTAssertEqual(try reader.status().eventCount, 1)
        assertLedgerError(.readOnly, "opened read-only") { try reader.append(event("fix-2")) }
    }

    func testAnEmptyFileBecomesALedgerOnFirstWrite() throws {
        let folder = TemporaryFolder()
        _ = FileManager.default.createFile(atPath: folder.file("empty.db"), contents: Data())
        assertLedgerError(.ledgerNotFound, "is empty") { try folder.openLedger("empty.db", mode: .readOnly) }
        XCTAssertEqual(try folder.openLedger("empty.db").append(event("fix-1")).position, 1)
    }
}
