import Foundation
import XCTest
import Events
import LedgerCore
@testable import PostgresStore

/// What only the PostgreSQL ledger has to show: the server enforces append-only, concurrent
/// writers get gapless commit-ordered positions, and creating a ledger happens once.
final class PostgresLedgerTests: XCTestCase {
    private var made: [PostgresLocation] = []

    override func tearDown() {
        PostgresTestServer.drop(made)
        made = []
    }

    private static func event(_ stream: String, _ json: String = "{}") throws -> ProposedEvent {
        try ProposedEvent(stream: StreamName(stream), type: EventType("Noted"), json: Array(json.utf8))
    }

    /// UPDATE, DELETE and TRUNCATE of events, tree heads, tree nodes, the identity and
    /// checkpoints fail in the server, for anyone, and the ledger still verifies.
    func testTheServerRefusesChangesToWhatWasAppended() throws {
        let location = try PostgresTestServer.freshLocation(&made)
        let ledger = try PostgresLedger.open(location, create: .ifMissing())
        var remaining = 300
        _ = try ledger.append(batch: {
            remaining -= 1
            return remaining >= 0 ? (try Self.event("tick-\(remaining % 4)"), nil) : nil
        }, onEach: { _ in })
        let session = try PostgresSession(location)
        let attempts = [
            "UPDATE events SET type = 'Forged' WHERE position = 1", "DELETE FROM events WHERE position = 300", "TRUNCATE events",
            "UPDATE tree_heads SET root = '\\x00'", "DELETE FROM tree_heads", "TRUNCATE tree_nodes", "DELETE FROM tree_nodes",
            "UPDATE ledger_identity SET origin = 'x'", "TRUNCATE checkpoints", "TRUNCATE tree_state", "UPDATE tree_state SET size = 1", "DELETE FROM tree_state",
        ]
        for sql in attempts {
            XCTAssertThrowsError(try session.execute(sql), sql) { error in
                XCTAssertEqual((error as? LedgerError)?.code, .readOnly, "\(sql): \(error)")
                XCTAssertTrue("\(error)".contains("append-only"), "\(error)")
            }
        }
        XCTAssertEqual(try ledger.treeHead().size, 300)
        XCTAssertTrue(try ledger.verify(progress: { _ in }).isValid)
    }

    /// Eight writers on their own connections append at once: every event is stored once,
    /// positions run 1...N with no gap, each stream's versions run 1...n, and every commit
    /// recorded a tree head the events reproduce.
    func testConcurrentWritersGetGaplessCommitOrderedPositions() throws {
        let location = try PostgresTestServer.freshLocation(&made)
        _ = try PostgresLedger.open(location, create: .ifMissing())
        let writers = 8, appends = 40
        let failures = LockedList()
        DispatchQueue.concurrentPerform(iterations: writers) { writer in
            do {
                let ledger = try PostgresLedger.open(location)
                for n in 0..<appends {
                    if n % 5 == 4 {   // some batches too
                        var left = 3
                        _ = try ledger.append(batch: {
                            left -= 1
                            return left >= 0 ? (try Self.event("w-\(writer % 3)", #"{"n":\#(n),"k":\#(left)}"#), nil) : nil
                        }, onEach: { _ in })
                    } else {
                        _ = try ledger.append(try Self.event("w-\(writer % 3)", #"{"n":\#(n)}"#))
                    }
                }
            } catch {
                failures.append("\(writer): \(error)")
            }
        }
        XCTAssertEqual(failures.items, [])
        let ledger = try PostgresLedger.open(location)
        let events = try ledger.events(EventQuery())
        let expected = writers * (appends / 5 * 4 + appends / 5 * 3)
        XCTAssertEqual(events.map(\.position), Array(1...expected), "gapless, in order")
        XCTAssertEqual(Set(events.map(\.id)).count, expected, "each event once")
        for stream in Set(events.map(\.stream)) {
            let versions = events.filter { $0.stream == stream }.map(\.streamVersion)
            XCTAssertEqual(versions, Array(1...versions.count), stream)
        }
        let report = try ledger.verify(progress: { _ in })
        XCTAssertTrue(report.isValid, "\(String(describing: report.problem))")
        XCTAssertEqual(report.verifiedSize, expected)
    }

    /// Several processes creating the same ledger at once make one, with one origin.
    func testCreatingOneLedgerFromManyConnectionsMakesOne() throws {
        let location = try PostgresTestServer.freshLocation(&made)
        let origins = LockedList()
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            do { origins.append(try PostgresLedger.open(location, create: .ifMissing()).origin()) } catch { origins.append("error: \(error)") }
        }
        XCTAssertEqual(Set(origins.items).count, 1, "\(origins.items)")
        XCTAssertTrue(origins.items[0].hasPrefix("remedy.ledger/"), origins.items[0])
    }

    /// A schema without a ledger is not created unless asked; a server that is not there is
    /// named by host, port and database, never by password.
    func testMissingLedgersAndServersAreNamedClearly() throws {
        let location = try PostgresTestServer.freshLocation(&made)
        XCTAssertThrowsError(try PostgresLedger.open(location)) { error in
            XCTAssertEqual((error as? LedgerError)?.code, .ledgerNotFound)
            XCTAssertTrue("\(error)".contains("no remedy ledger at \(location)"), "\(error)")
        }
        let nowhere = try PostgresLocation("postgres://someone:s3cret@127.0.0.1:1/nothing")
        XCTAssertThrowsError(try PostgresLedger.open(nowhere)) { error in
            XCTAssertEqual((error as? LedgerError)?.code, .ledgerNotFound)
            XCTAssertTrue("\(error)".contains("postgres://someone@127.0.0.1:1/nothing"), "\(error)")
            XCTAssertFalse("\(error)".contains("s3cret"), "\(error)")
        }
    }
}

/// Strings collected from several threads.
final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    func append(_ item: String) { lock.withLock { storage.append(item) } }
    var items: [String] { lock.withLock { storage } }
}
