import XCTest
@testable import LedgerStore

/// Streams of a category are listed by seeking the index, one stream at a time.
final class StreamNamesTests: XCTestCase {
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
}
