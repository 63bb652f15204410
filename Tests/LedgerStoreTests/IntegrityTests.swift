import Foundation
import XCTest
import Events
@testable import LedgerStore

/// Tree heads, and `verify` finding each kind of damage at the right position.
final class IntegrityTests: XCTestCase {
    /// A ledger of `count` events over a few streams, appended in batches of varied sizes (1
    /// to `largestBatch`).
    private func populatedLedger(_ folder: TemporaryFolder, count: Int = 40, largestBatch: Int = 5) throws -> Ledger {
        let ledger = try folder.openLedger()
        var appended = 0
        var batchSize = 1
        while appended < count {
            let size = min(batchSize, count - appended)
            var produced = 0
            try ledger.append(batch: {
                guard produced < size else { return nil }
                produced += 1
                let n = appended + produced
                return (try event("fix-\(n % 4)", "Step", #"{"n":\#(n)}"#), nil)
            })
            appended += size
            batchSize = batchSize % largestBatch + 1
        }
        return ledger
    }

    func testTreeHeadsAtEverySizeMatchTheLeaves() throws {
        let folder = TemporaryFolder()
        let ledger = try populatedLedger(folder)
        let leaves = try ledger.events(EventQuery()).map { TreeHash(bytes: $0.leafHash)! }
        for size in 0...leaves.count {
            XCTAssertEqual(try ledger.treeHead(size: size), TreeHead(size: size, root: MerkleTree.root(ofLeafHashes: leaves.prefix(size))), "size \(size)")
        }
        XCTAssertEqual(try ledger.treeHead(), try ledger.treeHead(size: leaves.count))
        assertLedgerError(.eventNotFound, "no tree head of size 41") { try ledger.treeHead(size: 41) }
        let recordedHeads = try ledger.connection.scalarInt("SELECT count(*) FROM tree_heads") ?? 0
        XCTAssertGreaterThan(recordedHeads, 5)
        XCTAssertLessThan(recordedHeads, 40, "one head per commit, not per event")
    }

    func testVerifyPassesOnAnIntactLedger() throws {
        let folder = TemporaryFolder()
        let ledger = try populatedLedger(folder)
        let report = try ledger.verify()
        XCTAssertTrue(report.isValid, "\(String(describing: report.problem))")
        XCTAssertEqual(report.verifiedSize, 40)
        XCTAssertEqual(report.root, try ledger.treeHead().root)
        let empty = try folder.openLedger("empty.db")
        XCTAssertEqual(try empty.verify(), VerificationReport(verifiedSize: 0, root: MerkleTree.emptyRoot, problem: nil))
    }

    /// Each tampering, done with the triggers dropped as an attacker with file access would.
    func testVerifyNamesTheFirstPositionThatDoesNotMatch() throws {
        let cases: [(sql: String, position: Int?, fragment: String)] = [
            ("UPDATE events SET body = CAST(replace(CAST(body AS TEXT), '\"n\":17', '\"n\":71') AS BLOB) WHERE position = 17",
             17, "do not match the event's leaf hash"),
            ("UPDATE events SET body = CAST(replace(CAST(body AS TEXT), '\"n\":17', '\"n\":71') AS BLOB) WHERE position = 17;" +
             "UPDATE events SET leaf_hash = x'\(String(repeating: "00", count: 32))' WHERE position = 17",
             17, "do not match the event's leaf hash"),
            ("DELETE FROM events WHERE position = 23", 23, "position 23 is missing"),
            ("DELETE FROM events WHERE position = 40", 40, "tree head is recorded for size 40"),
            ("UPDATE events SET stream_version = 99 WHERE position = 12", 12, "jumps from version"),
            ("UPDATE events SET type = 'Forged' WHERE position = 30", 30, "columns do not match"),
            ("UPDATE tree_heads SET root = x'\(String(repeating: "11", count: 32))' WHERE size = (SELECT min(size) FROM tree_heads WHERE size > 5)",
             nil, "does not match the events up to it"),
        ]
        for (sql, position, fragment) in cases {
            let folder = TemporaryFolder()
            let ledger = try populatedLedger(folder)
            try ledger.connection.execute("""
                DROP TRIGGER events_are_append_only_update; DROP TRIGGER events_are_append_only_delete;
                DROP TRIGGER tree_heads_are_append_only_update;
                """)
            try ledger.connection.execute(sql)
            let report = try folder.openLedger(mode: .readOnly).verify()
            XCTAssertFalse(report.isValid, sql)
            if let position { XCTAssertEqual(report.problem?.position, position, sql) }
            XCTAssertTrue(report.problem?.message.contains(fragment) ?? false, "\(sql): \(String(describing: report.problem))")
            if let position { XCTAssertEqual(report.verifiedSize, position - 1, "everything before the bad position is verified") }
        }
    }

    /// `verify` reads the events a block at a time (``StoredEventBlock``) with the heads each
    /// block reaches: damage in a later block, at a block's edge, or in a head between blocks is
    /// named as in a small ledger.
    func testVerifyChecksEveryBlockAndTheHeadsBetweenThem() throws {
        let count = StoredEventBlock.capacity * 2 + 300
        let edge = StoredEventBlock.capacity + 1
        let cases: [(sql: String, position: Int?, fragment: String)] = [
            ("", nil, ""),
            ("DELETE FROM events WHERE position = \(edge)", edge, "position \(edge) is missing"),
            ("UPDATE events SET type = 'Forged' WHERE position = \(count - 10)", count - 10, "columns do not match"),
            ("DELETE FROM events WHERE position = \(count)", count, "tree head is recorded for size \(count)"),
            ("UPDATE tree_heads SET root = x'\(String(repeating: "11", count: 32))' WHERE size = (SELECT min(size) FROM tree_heads WHERE size > \(2 * StoredEventBlock.capacity))",
             nil, "does not match the events up to it"),
        ]
        for (sql, position, fragment) in cases {
            let folder = TemporaryFolder()
            let ledger = try populatedLedger(folder, count: count, largestBatch: 60)
            XCTAssertGreaterThan(try ledger.connection.scalarInt("SELECT count(*) FROM tree_heads") ?? 0, 20)
            try ledger.connection.execute("DROP TRIGGER events_are_append_only_update; DROP TRIGGER events_are_append_only_delete; DROP TRIGGER tree_heads_are_append_only_update")
            if !sql.isEmpty { try ledger.connection.execute(sql) }
            var progress: [Int] = []
            let report = try folder.openLedger(mode: .readOnly).verify { progress.append($0) }
            guard !sql.isEmpty else {
                XCTAssertTrue(report.isValid, "\(String(describing: report.problem))")
                XCTAssertEqual(report.verifiedSize, count)
                XCTAssertEqual(report.root, try ledger.treeHead().root)
                XCTAssertEqual(progress.last, count)
                continue
            }
            XCTAssertFalse(report.isValid, sql)
            if let position {
                XCTAssertEqual(report.problem?.position, position, sql)
                XCTAssertEqual(report.verifiedSize, position - 1, "everything before the bad position is verified")
            }
            XCTAssertTrue(report.problem?.message.contains(fragment) ?? false, "\(sql): \(String(describing: report.problem))")
        }
    }

    /// A damaged page the events do not pass through (an index's) is still found, by SQLite's
    /// own integrity check, which `verify` runs beside the events'.
    func testVerifyReportsWhatSQLitesIntegrityCheckFinds() throws {
        let folder = TemporaryFolder()
        var path = "", offset = 0
        do {
            let ledger = try populatedLedger(folder)
            path = ledger.location.path
            let root = try ledger.connection.scalarInt("SELECT rootpage FROM sqlite_master WHERE name = 'events_by_type'") ?? 0
            let pageSize = try ledger.connection.scalarInt("PRAGMA page_size") ?? 0
            XCTAssertGreaterThan(root, 1)
            offset = (root - 1) * pageSize + 3
            _ = try ledger.connection.scalarText("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        // The index page's cell count, as a torn write could leave it.
        let file = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        try file.seek(toOffset: UInt64(offset))
        try file.write(contentsOf: [0xFF, 0xFF])
        try file.close()
        let report = try folder.openLedger(mode: .readOnly).verify()
        XCTAssertFalse(report.isValid)
        XCTAssertNil(report.problem?.position)
        XCTAssertEqual(report.verifiedSize, 40, "every event checked first")
        XCTAssertTrue(report.problem?.message.hasPrefix("SQLite's integrity check failed: ") ?? false, "\(String(describing: report.problem))")
    }

    /// A damaged page under the events fails verification where the reading stops, naming
    /// the position, instead of ending the command with a storage error.
    func testADamagedPageOfTheEventsFailsVerificationAtItsPosition() throws {
        let folder = TemporaryFolder()
        var path = "", offset = 0
        do {
            let ledger = try populatedLedger(folder, count: 3 * StoredEventBlock.capacity, largestBatch: 60)
            path = ledger.location.path
            let leaves = try ledger.connection.scalarInt("SELECT count(*) FROM dbstat WHERE name = 'events' AND pagetype = 'leaf'") ?? 0
            XCTAssertGreaterThan(leaves, 10)
            let page = try ledger.connection.scalarInt(
                "SELECT pageno FROM dbstat WHERE name = 'events' AND pagetype = 'leaf' ORDER BY path LIMIT 1 OFFSET \(leaves * 3 / 4)") ?? 0
            offset = (page - 1) * (try ledger.connection.scalarInt("PRAGMA page_size") ?? 0)
            _ = try ledger.connection.scalarText("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        // Not a page type SQLite knows.
        let file = try XCTUnwrap(FileHandle(forUpdatingAtPath: path))
        try file.seek(toOffset: UInt64(offset))
        try file.write(contentsOf: [0x00])
        try file.close()
        let ledger = try folder.openLedger(mode: .readOnly)
        var readable = 0
        XCTAssertThrowsError(try ledger.forEachEvent(EventQuery()) { _, _, _, _ in readable += 1; return true })
        let report = try ledger.verify()
        XCTAssertFalse(report.isValid)
        XCTAssertGreaterThan(readable, StoredEventBlock.capacity + 1, "a page past the first block, not at a block's edge")
        XCTAssertNotEqual(readable % StoredEventBlock.capacity, 0)
        XCTAssertEqual(report.verifiedSize, readable, "every event before the page is checked")
        XCTAssertEqual(report.problem?.position, readable + 1)
        XCTAssertTrue(report.problem?.message.hasPrefix("the ledger cannot be read from position \(report.verifiedSize + 1) on: ") ?? false,
                      "\(String(describing: report.problem))")
    }

    /// Rewriting an event with a consistent new leaf hash is still caught by the recorded heads.
    func testRewrittenEventWithRecomputedLeafHashIsCaughtByTreeHeads() throws {
        let folder = TemporaryFolder()
        let ledger = try populatedLedger(folder)
        let original = try ledger.event(position: 17)
        var envelope = try EventEnvelope(decoding: original.body)
        envelope.data = Array(#"{"n":1700}"#.utf8)
        let forged = envelope.canonicalBytes
        try ledger.connection.execute("DROP TRIGGER events_are_append_only_update")
        let update = try ledger.connection.prepare("UPDATE events SET body = ?, leaf_hash = ? WHERE position = 17")
        update.bind(blob: forged, at: 1)
        update.bind(blob: MerkleTree.leafHash(forged), at: 2)
        try update.run()
        let report = try ledger.verify()
        XCTAssertFalse(report.isValid)
        XCTAssertTrue(report.problem!.message.contains("tree head recorded at size"), "\(report.problem!)")
        XCTAssertGreaterThanOrEqual(report.problem!.position!, 17)
    }
}
