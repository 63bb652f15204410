import Foundation
import XCTest
import Events
@testable import LedgerStore

final class ReadTests: XCTestCase {
    private func positions(_ ledger: Ledger, _ configure: (inout EventQuery) -> Void) throws -> [Int] {
        var query = EventQuery()
        configure(&query)
        var seen: [Int] = []
        try ledger.forEachEvent(query) { position, _, _, bytes in
            XCTAssertEqual(try EventEnvelope(decoding: bytes).position, position)
            seen.append(position)
            return true
        }
        XCTAssertEqual(try ledger.events(query).map(\.position), seen)
        return seen
    }

    func testFilters() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        try ledger.append(event("fix-1", "FixSuggested"))     // 1
        try ledger.append(event("fix-2", "FixLanded"))       // 2
        try ledger.append(event("fixture-1", "FixSuggested")) // 3: another category sharing a prefix
        try ledger.append(event("run-1", "RunStarted"))  // 4
        try ledger.append(event("fix-1", "FixLanded"))       // 5
        XCTAssertEqual(try positions(ledger) { _ in }, [1, 2, 3, 4, 5])
        XCTAssertEqual(try positions(ledger) { $0.streams = [try! StreamName("fix-1")] }, [1, 5])
        XCTAssertEqual(try positions(ledger) { $0.categories = ["fix"] }, [1, 2, 5])
        XCTAssertEqual(try positions(ledger) { $0.categories = ["fix", "run"] }, [1, 2, 4, 5])
        XCTAssertEqual(try positions(ledger) { $0.types = ["FixLanded", "RunStarted"] }, [2, 4, 5])
        XCTAssertEqual(try positions(ledger) { $0.fromPosition = 2; $0.toPosition = 4 }, [2, 3, 4])
        XCTAssertEqual(try positions(ledger) { $0.limit = 2 }, [1, 2])
        XCTAssertEqual(try positions(ledger) { $0.categories = ["fix"]; $0.types = ["FixLanded"]; $0.limit = 1 }, [2])
        XCTAssertEqual(try positions(ledger) { $0.since = Timestamp(millisecondsSinceEpoch: 0) }, [1, 2, 3, 4, 5])
        XCTAssertEqual(try positions(ledger) { $0.until = Timestamp(millisecondsSinceEpoch: 0) }, [])
        let third = try Timestamp(parsing: try ledger.event(position: 3).recordedAt)
        XCTAssertEqual(try positions(ledger) { $0.since = third }.first.map { $0 <= 3 }, true)
        XCTAssertEqual(try positions(ledger) { $0.since = Timestamp(millisecondsSinceEpoch: third.millisecondsSinceEpoch + 3_600_000) }, [])
    }

    func testShowByPositionAndID() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        let appended = try ledger.append(event("fix-1", id: "0192f5e4-7c1a-7cc3-9a57-2f4e1d0b8a11"))
        XCTAssertEqual(try ledger.event(id: EventID("0192F5E4-7C1A-7CC3-9A57-2F4E1D0B8A11")).position, appended.position)
        XCTAssertEqual(try ledger.event(position: 1).id, appended.id.rawValue)
        assertLedgerError(.eventNotFound, "no event at position 2") { try ledger.event(position: 2) }
        assertLedgerError(.eventNotFound, "no event with id") { try ledger.event(id: EventID("0192f5e4-7c1a-7cc3-9a57-2f4e1d0b8a12")) }
    }

    func testStatus() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        XCTAssertEqual(try ledger.status().eventCount, 0)
        XCTAssertNil(try ledger.status().lastEvent)
        try ledger.appendExampleEvents()
        let status = try ledger.status()
        XCTAssertEqual(status.eventCount, 20)
        XCTAssertEqual(status.streamCount, 5)
        XCTAssertEqual(status.lastEvent?.position, 20)
        XCTAssertEqual(status.lastEvent?.type, "EvalRunCompleted")
        XCTAssertEqual(status.treeHead, try ledger.treeHead())
        XCTAssertGreaterThan(status.fileSize, 0)
        XCTAssertEqual(try ledger.appendExampleEvents().appended, 0, "the demo is idempotent")
    }

    /// Following sees the events already there, then ones committed by another connection.
    func testFollowDeliversNewEventsAsTheyAreCommitted() throws {
        let folder = TemporaryFolder()
        let writer = try folder.openLedger()
        try writer.append(event("fix-1"))
        try writer.append(event("run-1"))
        let reader = try folder.openLedger(mode: .readOnly)
        var query = EventQuery()
        query.categories = ["fix"]
        var seen: [Int] = []
        var polls = 0
        try reader.follow(query, pollInterval: 10) { position, _ in
            seen.append(position)
            return position < 5
        } afterEachPoll: {
            polls += 1
            if polls == 1 { try! writer.append(event("run-2")); try! writer.append(event("fix-1")) }
            if polls == 2 { try! writer.append(event("fix-2")) }
            return polls < 50
        }
        XCTAssertEqual(seen, [1, 4, 5])
    }
}
