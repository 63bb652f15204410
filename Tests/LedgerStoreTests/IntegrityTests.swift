import Foundation
import XCTest
import Events
@testable import LedgerStore

/// Tree heads, and `verify` finding each kind of damage at the right position.
final class IntegrityTests: XCTestCase {
    /// A ledger of `count` events over a few streams, appended in batches of varied sizes.
    private func populatedLedger(_ folder: TemporaryFolder, count: Int = 40) throws -> Ledger {
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
            batchSize = batchSize % 5 + 1
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
