import Foundation
import XCTest
import Events
@testable import LedgerStore
import SystemIO

final class AppendTests: XCTestCase {
    func testPositionsAndStreamVersionsAreGapless() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        let a1 = try ledger.append(event("fix-1"))
        let b1 = try ledger.append(event("fix-2"))
        let a2 = try ledger.append(event("fix-1", "Other", #"{"n":1}"#))
        XCTAssertEqual([a1.position, b1.position, a2.position], [1, 2, 3])
        XCTAssertEqual([a1.streamVersion, b1.streamVersion, a2.streamVersion], [1, 1, 2])
        XCTAssertFalse(a2.isDuplicate)

        let stored = try ledger.events(EventQuery())
        XCTAssertEqual(stored.map(\.position), [1, 2, 3])
        let third = try EventEnvelope(decoding: stored[2].body)
        XCTAssertEqual(third.position, 3)
        XCTAssertEqual(third.streamVersion, 2)
        XCTAssertEqual(third.type.rawValue, "Other")
        XCTAssertEqual(String(decoding: third.data, as: UTF8.self), #"{"n":1}"#)
        XCTAssertEqual(stored[2].leafHash, MerkleTree.leafHash(stored[2].body).bytes)
        XCTAssertLessThanOrEqual(stored[0].recordedAt, stored[2].recordedAt)
    }

    func testReappendingTheSameEventIsANoOpThatReportsTheOriginalPosition() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        let id = "0192f5e4-7c1a-7cc3-9a57-2f4e1d0b8a11"
        let first = try ledger.append(event("run-1", "RunStarted", #"{"a":1,"b":2}"#, id: id, expect: .noStream, actor: "ci"))
        try ledger.append(event("run-2"))
        // Same content written differently (key order, whitespace, id case), and with an
        // expectation that no longer holds: still the same event, still a no-op.
        let retry = try ledger.append(event("run-1", "RunStarted", #"{ "b":2, "a":1 }"#, id: id.uppercased(), expect: .noStream, actor: "ci"))
        XCTAssertTrue(retry.isDuplicate)
        XCTAssertEqual(retry.position, first.position)
        XCTAssertEqual(try ledger.treeHead().size, 2)

        for changed in [
            try event("run-1", "RunStarted", #"{"a":1,"b":3}"#, id: id, actor: "ci"),
            try event("run-1", "RunCompleted", #"{"a":1,"b":2}"#, id: id, actor: "ci"),
            try event("run-1", "RunStarted", #"{"a":1,"b":2}"#, id: id, actor: "someone else"),
            try event("run-9", "RunStarted", #"{"a":1,"b":2}"#, id: id, actor: "ci"),
        ] {
            assertLedgerError(.idConflict, "event id \(id) already exists at position 1 with different content") {
                try ledger.append(changed)
            }
        }
        XCTAssertEqual(try ledger.treeHead().size, 2)
    }

    func testExpectedVersionMismatchNamesStreamAndBothVersions() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        for _ in 0..<5 { try ledger.append(event("fix-42")) }
        assertLedgerError(.wrongExpectedVersion, "Wrong expected version: 3 (stream: fix-42, current version: 5)") {
            try ledger.append(event("fix-42", expect: .exactly(3)))
        }
        assertLedgerError(.wrongExpectedVersion, "Wrong expected version: 0 (stream: fix-42, current version: 5)") {
            try ledger.append(event("fix-42", expect: .noStream))
        }
        XCTAssertEqual(try ledger.append(event("fix-42", expect: .exactly(5))).streamVersion, 6)
        XCTAssertEqual(try ledger.append(event("fix-43", expect: .noStream)).streamVersion, 1)
        XCTAssertEqual(try ledger.append(event("fix-44", expect: .exactly(0))).streamVersion, 1)
    }

    func testBatchIsAllOrNothingAndNamesTheBadLine() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        try ledger.append(event("fix-1"))
        let before = try ledger.treeHead()

        let batch = folder.file("batch.ndjson")
        try """
        {"stream":"fix-1","type":"A","data":{}}
        {"stream":"fix-2","type":"A","data":{}}
        {"stream":"fix-3","type":"A","data":{"x":}}
        {"stream":"fix-4","type":"A","data":{}}
        """.write(toFile: batch, atomically: true, encoding: .utf8)
        assertLedgerError(.invalidEvent, "line 3: malformed JSON") { try ledger.appendNDJSON(from: LineReader(batchAt: batch)) }
        XCTAssertEqual(try ledger.treeHead(), before)

        try """
        {"stream":"fix-1","type":"A","data":{}}
        {"stream":"fix-1","type":"A","data":{},"expect_version":7}
        """.write(toFile: batch, atomically: true, encoding: .utf8)
        assertLedgerError(.wrongExpectedVersion, "line 2: Wrong expected version: 7 (stream: fix-1, current version: 2)") {
            try ledger.appendNDJSON(from: LineReader(batchAt: batch))
        }
        XCTAssertEqual(try ledger.treeHead(), before)

        try "\n  \n".write(toFile: batch, atomically: true, encoding: .utf8)
        assertLedgerError(.invalidEvent, "the batch is empty") { try ledger.appendNDJSON(from: LineReader(batchAt: batch)) }
        XCTAssertEqual(try ledger.treeHead(), before)

        try """
        {"stream":"fix-1","type":"A","data":{},"expect_version":1}

        {"stream":"fix-1","type":"A","data":{},"expect_version":2,"id":"0192f5e4-7c1a-7cc3-9a57-2f4e1d0b8a11"}\r
        {"stream":"fix-1","type":"A","data":{},"expect_version":2,"id":"0192f5e4-7c1a-7cc3-9a57-2f4e1d0b8a11"}
        {"stream":"run-1","type":"A","data":{}}
        """.write(toFile: batch, atomically: true, encoding: .utf8)
        let result = try ledger.appendNDJSON(from: LineReader(batchAt: batch))
        XCTAssertEqual(result.appended, 3)
        XCTAssertEqual(result.duplicates, 1, "the repeated id within one batch is recorded once")
        XCTAssertEqual(result.firstPosition, 2)
        XCTAssertEqual(result.lastPosition, 4)
        XCTAssertEqual(result.treeHead, try ledger.treeHead())
    }

    func testOversizedLineIsRefusedWithItsNumber() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        let batch = folder.file("big.ndjson")
        let big = #"{"stream":"a-1","type":"A","data":{"s":""# + String(repeating: "x", count: BatchLine.maximumLineSize) + "\"}}"
        try (#"{"stream":"a-1","type":"A","data":{}}"# + "\n" + big + "\n").write(toFile: batch, atomically: true, encoding: .utf8)
        assertLedgerError(.invalidEvent, "line 2: the line is longer than 1048576 bytes") {
            try ledger.appendNDJSON(from: LineReader(batchAt: batch))
        }
        XCTAssertEqual(try ledger.treeHead().size, 0)
    }

    func testInvalidUTF8InABatchIsRefused() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        let batch = folder.file("latin1.ndjson")
        var bytes = Array(#"{"stream":"a-1","type":"A","data":{"name":"caf"#.utf8)
        bytes += [0xE9] + Array("\"}}\n".utf8)
        _ = FileManager.default.createFile(atPath: batch, contents: Data(bytes))
        assertLedgerError(.invalidEvent, "line 1: malformed JSON at byte") { try ledger.appendNDJSON(from: LineReader(batchAt: batch)) }
        XCTAssertEqual(try ledger.treeHead().size, 0)
    }

    func testRecordedTimeNeverRunsBackwards() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        try ledger.append(event("a-1"))
        // An event from a clock far ahead (another machine): later appends keep its time.
        try ledger.connection.execute("DROP TRIGGER events_are_append_only_update")
        try ledger.connection.execute("UPDATE events SET recorded_at = '2999-01-01T00:00:00.000Z'")
        try ledger.append(event("a-1"))
        XCTAssertEqual(try ledger.event(position: 2).recordedAt, "2999-01-01T00:00:00.000Z")
    }
}
