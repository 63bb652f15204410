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
        _ = try Ledger.open(defaultLike, mode: .readWrite, create: .ifMissing())
        XCTAssertTrue(FileManager.default.fileExists(atPath: defaultLike.path))

        let explicit = LedgerPath(path: folder.file("missing/ledger.db"))
        assertLedgerError(.missingFolder, "the folder \(folder.file("missing")) does not exist") {
            try Ledger.open(explicit, mode: .readWrite, create: .ifMissing())
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
        assertLedgerError(.notALedger, "a SQLite database but not a remedy ledger") { try Ledger.open(LedgerPath(path: path), mode: .readWrite, create: .ifMissing()) }
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

    func testAnEmptyFileIsNoLedgerUntilCreated() throws {
        let folder = TemporaryFolder()
        let path = folder.file("empty.db")
        _ = FileManager.default.createFile(atPath: path, contents: Data())
        assertLedgerError(.ledgerNotFound, "is an empty file, not a ledger") { try folder.openLedger("empty.db", mode: .readOnly) }
        assertLedgerError(.ledgerNotFound, "is an empty file, not a ledger") {
            try Ledger.open(LedgerPath(path: path), mode: .readWrite)
        }
        XCTAssertEqual(contents(path), Data())
        XCTAssertEqual(try folder.openLedger("empty.db").append(event("fix-1")).position, 1)
    }

    /// What a creator killed before its schema committed leaves: an SQLite file in WAL mode
    /// with no table. It is no ledger yet (an import or `init` creates one there), while
    /// another application's database, with tables, still exists and is refused.
    func testAFileACreatorWasKilledInIsNoLedgerUntilCreated() throws {
        let folder = TemporaryFolder()
        let path = folder.file("killed.db")
        do {
            let connection = try SQLiteConnection(path: path, flags: 0x02 | 0x04)
            _ = try connection.scalarText("PRAGMA journal_mode=WAL")
        }
        XCTAssertGreaterThan(contents(path)?.count ?? 0, 0)
        XCTAssertFalse(Ledger.exists(LedgerPath(path: path)))
        XCTAssertEqual(try folder.openLedger("killed.db").append(event("fix-1")).position, 1)
        XCTAssertTrue(Ledger.exists(LedgerPath(path: path)))
        let other = folder.file("other.db")
        do { try SQLiteConnection(path: other, flags: 0x02 | 0x04).execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY)") }
        XCTAssertTrue(Ledger.exists(LedgerPath(path: other)))
    }

    func testAMissingLedgerIsNeverCreatedUnlessAsked() throws {
        let folder = TemporaryFolder()
        for mode in [Ledger.AccessMode.readWrite, .readOnly] {
            assertLedgerError(.ledgerNotFound, "create one with `remedy init`") {
                try Ledger.open(LedgerPath(path: folder.file("none.db")), mode: mode)
            }
        }
        let defaultLike = LedgerPath(path: folder.file(".remedy/ledger.db"), isDefault: true)
        assertLedgerError(.ledgerNotFound, "no ledger at") { try Ledger.open(defaultLike, mode: .readWrite) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("none.db")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file(".remedy")), "not even the default folder")
    }

    func testANewLedgerGetsAnOriginOnceAndKeepsIt() throws {
        let folder = TemporaryFolder()
        let path = LedgerPath(path: folder.file("named.db"))
        let created = try Ledger.open(path, mode: .readWrite, create: .ifMissing(origin: "ci.example.com/acme/evals"))
        XCTAssertEqual(try created.origin(), "ci.example.com/acme/evals")
        let again = try Ledger.open(path, mode: .readWrite, create: .ifMissing(origin: "other.example/x"))
        XCTAssertEqual(try again.origin(), "ci.example.com/acme/evals", "an existing ledger keeps its origin")
        assertLedgerError(.invalidEvent, "contains a space") {
            try Ledger.open(LedgerPath(path: folder.file("bad.db")), mode: .readWrite, create: .ifMissing(origin: "two words"))
        }
        let generated = try folder.openLedger("generated.db").origin()
        XCTAssertTrue(generated.hasPrefix("remedy.ledger/") && generated.count == "remedy.ledger/".count + 32, generated)
        XCTAssertNotEqual(generated, try folder.openLedger("generated2.db").origin())
        for sql in ["UPDATE ledger_identity SET origin = 'x'", "DELETE FROM ledger_identity"] {
            XCTAssertThrowsError(try created.connection.execute(sql), sql) { XCTAssertTrue("\($0)".contains("permanent"), "\($0)") }
        }
    }
}

/// The review's findings, each pinned by a test.
final class AppendOnlyHardeningTests: XCTestCase {
    func testReplaceCannotRewriteHistory() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        try ledger.append(event("fix-1"))
        try ledger.append(event("fix-1"))
        // Enough for a kept tree node (256 leaves), and a stored checkpoint to protect.
        var remaining = 300
        try ledger.append(batch: {
            remaining -= 1
            return remaining >= 0 ? (try event("bulk-1"), nil) : nil
        })
        try ledger.connection.execute("INSERT INTO checkpoints (size, note, recorded_at) VALUES (302, x'0a', 'now')")
        let before = try ledger.events(EventQuery())
        for sql in [
            "INSERT OR REPLACE INTO events SELECT position, event_id, stream, stream_version, 'Forged', recorded_at, body, leaf_hash FROM events WHERE position = 1",
            "REPLACE INTO events (position, event_id, stream, stream_version, type, recorded_at, body, leaf_hash) SELECT 1, 'x', 'x-1', 1, type, recorded_at, body, leaf_hash FROM events WHERE position = 2",
            "REPLACE INTO tree_heads (size, root, recorded_at) VALUES (1, x'00', 'x')",
            "UPDATE tree_state SET size = 0, range = x''",
            "DELETE FROM tree_state",
            "REPLACE INTO ledger_identity (id, origin, created_at) VALUES (1, 'forged.example', 'x')",
            "REPLACE INTO checkpoints (size, note, recorded_at) SELECT size, x'00', recorded_at FROM checkpoints",
            "UPDATE checkpoints SET note = x'00'",
            "DELETE FROM checkpoints",
            "REPLACE INTO tree_nodes (height, idx, hash) SELECT height, idx, x'00' FROM tree_nodes",
            "UPDATE tree_nodes SET hash = x'00'",
            "DELETE FROM tree_nodes",
        ] {
            XCTAssertThrowsError(try ledger.connection.execute(sql), sql) {
                XCTAssertTrue("\($0)".contains("append-only") || "\($0)".contains("permanent"), "\($0)")
            }
        }
        XCTAssertEqual(try ledger.events(EventQuery()), before)
        XCTAssertTrue(try ledger.verify().isValid)
        // A REPLACE at the tail that collides on an older event's id removes that event, and
        // verify names the gap it leaves.
        try ledger.connection.execute("REPLACE INTO events SELECT 303, event_id, 'x-1', 1, type, recorded_at, body, leaf_hash FROM events WHERE position = 1")
        XCTAssertEqual(try ledger.verify().problem?.position, 1)
    }

    func testVerifyRefusesEventsAddedWithoutATreeHead() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        try ledger.append(event("fix-1"))
        // Forge a well-formed third-party insert that also advances the saved tree state.
        var envelope = try EventEnvelope(decoding: try ledger.event(position: 1).body)
        envelope.position = 2
        envelope.streamVersion = 2
        envelope.id = try EventID("0192f5e4-7c1a-7cc3-9a57-2f4e1d0b8a11")
        let body = envelope.canonicalBytes
        let leaf = MerkleTree.leafHash(body)
        let insert = try ledger.connection.prepare("INSERT INTO events VALUES (2, ?, 'fix-1', 2, ?, ?, ?, ?)")
        try insert.bind([.text(envelope.id.rawValue), .text(envelope.type.rawValue), .text(envelope.recordedAt.description), .blob(body), .blob(leaf.bytes)])
        try insert.run()
        var range = try ledger.storedRange()
        range.append(leaf)
        let save = try ledger.connection.prepare("UPDATE tree_state SET size = ?, range = ?")
        try save.bind([.int(range.size), .blob(range.serialized)])
        try save.run()
        let report = try ledger.verify()
        XCTAssertEqual(report.problem?.position, 2)
        XCTAssertTrue(report.problem?.message.contains("without a tree head") ?? false, "\(String(describing: report.problem))")
    }

    /// One `Ledger` appending again after another process committed in between.
    func testALedgerKeepsAppendingWhileOthersWrite() throws {
        let folder = TemporaryFolder()
        let first = try folder.openLedger()
        let second = try folder.openLedger()
        for round in 0..<5 {
            try first.append(event("fix-1", id: nil))
            try second.append(event("fix-2"))
            XCTAssertEqual(try first.append(event("fix-1", id: "0192f5e4-7c1a-7cc3-9a57-2f4e1d0b8a1\(round)")).isDuplicate, false)
        }
        XCTAssertEqual(try first.treeHead().size, 15)
        XCTAssertTrue(try second.verify().isValid)
    }

    func testLibraryCallersCannotPassACategoryWithADash() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        var query = EventQuery()
        query.categories = ["fix-1"]
        assertLedgerError(.invalidEvent, "a category has no '-'") { try ledger.events(query) }
    }
}
