import XCTest
import Events
@testable import LedgerStore

/// Streams of a category are listed by seeking the index, one stream at a time; events of a
/// few types are read through the type index, with the same answer as a scan.
final class StreamNamesTests: XCTestCase {
    func testReadingThroughTheTypeIndexGivesWhatAScanGives() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        for index in 0..<60 { try ledger.append(try event("run-s/\(index % 4)", index % 10 == 0 ? "Rare" : "Common")) }
        var query = EventQuery()
        query.types = ["Rare", "Missing"]
        query.fromPosition = 5
        let scanned = try ledger.events(query).map(\.position)
        query.byType = true
        XCTAssertEqual(try ledger.events(query).map(\.position), scanned)
        XCTAssertEqual(scanned, [11, 21, 31, 41, 51])
        query.streams = [try StreamName("run-s/0")]
        XCTAssertEqual(try ledger.events(query).map(\.position), [21, 41])
    }

    func testEveryStreamOfACategoryIsListedWhateverItsNameSortsLike() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        // "run-s/10" sorts between "run-s/1" and "run-s/2": none may be skipped.
        for stream in ["run-s/1", "run-s/10", "run-s/2", "run-s/100", "run-t/1", "fix-1", "runner-1", "run-s/1"] {
            try ledger.append(try event(stream))
        }
        XCTAssertEqual(try ledger.streamNames(category: "run"), ["run-s/1", "run-s/10", "run-s/100", "run-s/2", "run-t/1"])
        XCTAssertEqual(try ledger.streamNames(category: "fix"), ["fix-1"])
        XCTAssertEqual(try ledger.streamNames(category: "nothing"), [])
        let extent = try XCTUnwrap(try ledger.extent(of: "run-s/1"))
        XCTAssertEqual([extent.firstPosition, extent.lastPosition, extent.version], [1, 8, 2])
        XCTAssertNil(try ledger.extent(of: "run-s/3"))
    }

    func testTheFirstEventAtOrAfterATimeIsFoundByBinarySearch() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        for _ in 0..<7 {
            try ledger.append(try event("fix-1"))
            usleep(3_000)
        }
        let times = try (1...7).map { try Timestamp(parsing: try ledger.event(position: $0).recordedAt) }
        for position in 1...7 {
            XCTAssertEqual(try ledger.firstPosition(recordedAtOrAfter: times[position - 1]), position)
        }
        XCTAssertEqual(try ledger.firstPosition(recordedAtOrAfter: Timestamp(millisecondsSinceEpoch: 0)), 1)
        XCTAssertEqual(try ledger.firstPosition(recordedAtOrAfter: Timestamp(millisecondsSinceEpoch: times[6].millisecondsSinceEpoch + 1)), 8)
        var query = EventQuery()
        query.since = times[2]
        query.until = times[5]
        XCTAssertEqual(try ledger.events(query).map(\.position), [3, 4, 5])
    }
}
