import Foundation
import XCTest
import Events
import LedgerStore
@testable import PostgresStore

/// A ledger copied from a SQLite file to PostgreSQL and back (``LedgerCopy``) is the same
/// ledger: the same bytes at the same positions, the same checkpoints, the same tree.
final class PostgresMigrationTests: XCTestCase {
    private var made: [PostgresLocation] = []
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "remedy-migrate-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDown() {
        PostgresTestServer.drop(made)
        made = []
        try? FileManager.default.removeItem(atPath: folder)
    }

    func testASQLiteLedgerRoundTripsThroughPostgresUnchanged() throws {
        let location = try PostgresTestServer.freshLocation(&made)
        let source = try Ledger.open(LedgerPath(path: folder + "/source.db"), mode: .readWrite, create: .ifMissing(origin: "ci.example.com/acme/evals"))
        try source.appendExampleEvents()
        let key = try NoteSignerKey(generatingFor: "ci.example.com/acme/evals")
        try source.signCheckpoint(with: key)
        var remaining = 600   // past the 256- and 512-leaf kept nodes
        _ = try source.append(batch: {
            remaining -= 1
            return remaining >= 0 ? (try ProposedEvent(stream: StreamName("tick-\(remaining % 7)"), type: EventType("Ticked"),
                                                       json: Array(#"{"n":\#(remaining),"note":"caf\u00e9 \"quoted\""}"#.utf8)), nil) : nil
        }, onEach: { _ in })
        try source.signCheckpoint(with: key)

        let postgres = try PostgresLedger.open(location, create: .ifMissing(origin: try source.origin()))
        let there = try LedgerCopy.copy(from: source, to: postgres)
        XCTAssertEqual(there.events, try source.treeHead().size)
        XCTAssertEqual(there.checkpoints, 2)
        let back = try Ledger.open(LedgerPath(path: folder + "/back.db"), mode: .readWrite, create: .ifMissing(origin: try postgres.origin()))
        let again = try LedgerCopy.copy(from: postgres, to: back)
        XCTAssertEqual(again, there)

        for ledger in [postgres as any EventStore, back as any EventStore] {
            XCTAssertEqual(try ledger.events(EventQuery()), try source.events(EventQuery()), "every event, byte for byte")
            XCTAssertEqual(try ledger.checkpoints(), try source.checkpoints())
            XCTAssertEqual(try ledger.treeHead(), try source.treeHead())
            XCTAssertEqual(try ledger.treeHead(size: 300), try source.treeHead(size: 300))
            XCTAssertEqual(try ledger.inclusionProof(position: 17, size: 513), try source.inclusionProof(position: 17, size: 513))
            XCTAssertEqual(try ledger.consistencyProof(from: 20, to: nil), try source.consistencyProof(from: 20, to: nil))
            XCTAssertEqual(try ledger.origin(), "ci.example.com/acme/evals")
        }
        // The copy goes on as the source would: the next append continues the same streams.
        XCTAssertEqual(try postgres.append(try ProposedEvent(stream: StreamName("tick-0"), type: EventType("Ticked"), json: Array("{}".utf8))).streamVersion,
                       try source.append(try ProposedEvent(stream: StreamName("tick-0"), type: EventType("Ticked"), json: Array("{}".utf8))).streamVersion)
    }

    /// A target that holds events, or is of another origin, is refused and left as it was.
    func testMigrateCopiesOnlyIntoAnEmptyLedgerOfTheSameOrigin() throws {
        let source = try Ledger.open(LedgerPath(path: folder + "/source.db"), mode: .readWrite, create: .ifMissing(origin: "a.example/evals"))
        try source.appendExampleEvents()
        let other = try PostgresLedger.open(try PostgresTestServer.freshLocation(&made), create: .ifMissing(origin: "b.example/evals"))
        XCTAssertThrowsError(try LedgerCopy.copy(from: source, to: other)) { error in
            XCTAssertEqual((error as? LedgerError)?.code, .conflict)
            XCTAssertTrue("\(error)".contains("b.example/evals"), "\(error)")
        }
        let full = try PostgresLedger.open(try PostgresTestServer.freshLocation(&made), create: .ifMissing(origin: "a.example/evals"))
        try full.append(try ProposedEvent(stream: StreamName("x-1"), type: EventType("Noted"), json: Array("{}".utf8)))
        let before = try full.treeHead()
        XCTAssertThrowsError(try LedgerCopy.copy(from: source, to: full)) { error in
            XCTAssertEqual((error as? LedgerError)?.code, .conflict)
            XCTAssertTrue("\(error)".contains("holds 1 events already"), "\(error)")
        }
        XCTAssertEqual(try full.treeHead(), before)
        XCTAssertEqual(try other.treeHead().size, 0)
        // The same migration again (one killed after its commit, retried) copies nothing and succeeds.
        let target = try PostgresLedger.open(try PostgresTestServer.freshLocation(&made), create: .ifMissing(origin: "a.example/evals"))
        XCTAssertEqual(try LedgerCopy.copy(from: source, to: target).events, try source.treeHead().size)
        let again = try LedgerCopy.copy(from: source, to: target)
        XCTAssertEqual(again.events, 0)
        XCTAssertEqual(again.treeHead, try source.treeHead())
        XCTAssertEqual(try target.treeHead(), try source.treeHead())
    }
}
