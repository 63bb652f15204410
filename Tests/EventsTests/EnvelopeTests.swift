import XCTest
import EventGenerator
@testable import Events

final class EnvelopeTests: XCTestCase {
    func testStreamNames() throws {
        XCTAssertEqual(try StreamName("fix-42").category, "fix")
        XCTAssertEqual(try StreamName("run-golden-101").category, "run")
        for bad in ["", "fix", "-42", "fix-", "fix 42", "fix-4\t2", "fix-\u{7}", String(repeating: "a", count: 199) + "-xx"] {
            XCTAssertThrowsError(try StreamName(bad), bad) { XCTAssertEqual(($0 as? EventError)?.code, .invalidStreamName) }
        }
        XCTAssertNoThrow(try StreamName(String(repeating: "a", count: 198) + "-x"))
        XCTAssertThrowsError(try StreamName.validateCategory("a-b"))
        XCTAssertNoThrow(try StreamName.validateCategory("fix"))
    }

    func testEventTypes() {
        XCTAssertNoThrow(try EventType("FailureDetected"))
        XCTAssertNoThrow(try EventType("remedy.fix_proposed-v2"))
        for bad in ["", "1Up", "Has Space", "Ümlaut", String(repeating: "A", count: 129)] {
            XCTAssertThrowsError(try EventType(bad), bad) { XCTAssertEqual(($0 as? EventError)?.code, .invalidEventType) }
        }
    }

    func testEventIDsNormalizeAndGeneratedOnesAreOrderedVersion7() throws {
        XCTAssertEqual(try EventID("0192F5E4-7C1A-7CC3-9A57-2F4E1D0B8A11").rawValue, "0192f5e4-7c1a-7cc3-9a57-2f4e1d0b8a11")
        for bad in ["", "not-a-uuid", "0192f5e4-7c1a-7cc3-9a57-2f4e1d0b8a1", "0192f5e47c1a7cc39a572f4e1d0b8a11aaaa", "0192f5e4-7c1a-7cc3-9a57-2f4e1d0b8a1g"] {
            XCTAssertThrowsError(try EventID(bad), bad) { XCTAssertEqual(($0 as? EventError)?.code, .invalidEventID) }
        }
        var generator = EventIDGenerator()
        var previous = ""
        for index in 0..<10_000 {
            let id = generator.next(millis: 1_764_000_000_000 + Int64(index / 5000)).rawValue
            XCTAssertGreaterThan(id, previous)
            XCTAssertEqual(try EventID(id).rawValue, id)
            XCTAssertEqual(Array(id)[14], "7")
            XCTAssertTrue("89ab".contains(Array(id)[19]))
            previous = id
        }
    }

    func testTimestampsFormatAndParse() throws {
        XCTAssertEqual(Timestamp(millisecondsSinceEpoch: 0).description, "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(Timestamp(millisecondsSinceEpoch: 1_764_063_635_123).description, "2025-11-25T09:40:35.123Z")
        XCTAssertEqual(Timestamp(millisecondsSinceEpoch: 951_782_400_000).description, "2000-02-29T00:00:00.000Z")
        XCTAssertEqual(try Timestamp(parsing: "2025-11-25T09:40:35.123Z").millisecondsSinceEpoch, 1_764_063_635_123)
        XCTAssertEqual(try Timestamp(parsing: "2025-11-25T10:40:35.1+01:00").millisecondsSinceEpoch, 1_764_063_635_100)
        XCTAssertEqual(try Timestamp(parsing: "2025-11-25").description, "2025-11-25T00:00:00.000Z")
        XCTAssertEqual(try Timestamp(parsing: "2024-02-29").description, "2024-02-29T00:00:00.000Z")
        for bad in ["", "2025-13-01", "2025-11-25T09:40", "yesterday", "2025-11-25T09:40:35", "2025-11-25T09:40:35Zjunk",
                    "2026-02-31", "2025-02-29", "2025-04-31", "2025-11-25T09:40:60Z", "2025-11-25T24:00:00Z", "2025-11-25T09:40:35+99:99"] {
            XCTAssertThrowsError(try Timestamp(parsing: bad), bad) { XCTAssertEqual(($0 as? EventError)?.code, .invalidTimestamp) }
        }
        var random = SplitMix64(seed: 7)
        for _ in 0..<1000 {
            let ms = Int64.random(in: 0...4_102_444_800_000, using: &random)
            XCTAssertEqual(try Timestamp(parsing: Timestamp(millisecondsSinceEpoch: ms).description).millisecondsSinceEpoch, ms)
        }
    }

    func testEnvelopeBytesAreCanonicalAndRoundTrip() throws {
        let envelope = EventEnvelope(
            position: 7, id: try EventID("0192f5e4-7c1a-7cc3-9a57-2f4e1d0b8a11"), stream: try StreamName("fix-42"),
            streamVersion: 3, type: try EventType("FixProposed"), schemaVersion: 1,
            recordedAt: Timestamp(millisecondsSinceEpoch: 1_764_063_635_123),
            metadata: EventMetadata(actor: "ci \"bot\"", traceID: "t-1"),
            data: try CanonicalJSON.canonicalizeObject(Array(#"{"z":1,"a":"é"}"#.utf8)))
        let bytes = envelope.canonicalBytes
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self),
                       #"{"data":{"a":"é","z":1},"id":"0192f5e4-7c1a-7cc3-9a57-2f4e1d0b8a11","metadata":{"actor":"ci \"bot\"","trace_id":"t-1"},"position":7,"recorded_at":"2025-11-25T09:40:35.123Z","schema_version":1,"stream":"fix-42","stream_version":3,"type":"FixProposed"}"#)
        XCTAssertEqual(try CanonicalJSON.canonicalize(bytes), bytes, "the envelope is itself canonical")
        XCTAssertEqual(try EventEnvelope(decoding: bytes), envelope)
    }

    func testBatchLines() throws {
        let event = try BatchLine.decode(Array(#"{"type":"X","stream":"fix-1","data":{"b":2,"a":1},"expect_version":0,"actor":"ci","id":"0192F5E4-7C1A-7CC3-9A57-2F4E1D0B8A11","schema_version":2}"#.utf8))
        XCTAssertEqual(event.stream.rawValue, "fix-1")
        XCTAssertEqual(String(decoding: event.data, as: UTF8.self), #"{"a":1,"b":2}"#)
        XCTAssertEqual(event.expectedVersion, .exactly(0))
        XCTAssertEqual(event.metadata.actor, "ci")
        XCTAssertEqual(event.id?.rawValue, "0192f5e4-7c1a-7cc3-9a57-2f4e1d0b8a11")
        XCTAssertEqual(event.schemaVersion, 2)

        let cases: [(String, EventError.Code, String)] = [
            (#"{"type":"X","data":{}}"#, .invalidBatchLine, "missing \"stream\""),
            (#"{"stream":"a-1","data":{}}"#, .invalidBatchLine, "missing \"type\""),
            (#"{"stream":"a-1","type":"X"}"#, .invalidBatchLine, "missing \"data\""),
            (#"{"stream":"a-1","type":"X","data":[]}"#, .notAnObject, "\"data\" must be a JSON object"),
            (#"{"stream":"a-1","type":"X","data":{},"expected_version":1}"#, .invalidBatchLine, "unknown field \"expected_version\""),
            (#"{"stream":"a-1","type":"X","data":{},"expect_version":-1}"#, .invalidBatchLine, "non-negative"),
            (#"{"stream":"a 1","type":"X","data":{}}"#, .invalidStreamName, "whitespace"),
            (#"{"stream":"a-1","type":"X","data":{},"actor":""}"#, .invalidMetadata, "actor"),
            (#"[1]"#, .notAnObject, "an array"),
            (#"{"stream":"a-1","type":"X","data":{"s":0.5}}"#, .unsupportedNumber, "strings"),
        ]
        for (line, code, fragment) in cases {
            XCTAssertThrowsError(try BatchLine.decode(Array(line.utf8)), line) { error in
                XCTAssertEqual((error as? EventError)?.code, code, "\(line): \(error)")
                XCTAssertTrue("\(error)".contains(fragment), "\(line): \(error)")
            }
        }
        let huge = #"{"stream":"a-1","type":"X","data":{"s":""# + String(repeating: "x", count: BatchLine.maximumLineSize) + #""}}"#
        XCTAssertThrowsError(try BatchLine.decode(Array(huge.utf8))) { XCTAssertEqual(($0 as? EventError)?.code, .tooLarge) }
    }

    func testExampleEventsAreValidBatchLines() throws {
        let lines = ExampleEvents.ndjson.split(separator: "\n")
        XCTAssertGreaterThanOrEqual(lines.count, 10)
        let events = try lines.map { try BatchLine.decode(Array($0.utf8)) }
        XCTAssertEqual(Set(events.compactMap(\.id)).count, lines.count, "demo ids are fixed and distinct")
    }
}
