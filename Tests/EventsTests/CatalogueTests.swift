import Foundation
import XCTest
@testable import Events

/// The catalogue's schemas and examples agree with the Swift payload types.
final class CatalogueTests: XCTestCase {
    private let catalogue = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Events/Catalogue")

    /// Decodes an example into its payload type and encodes it back, canonically.
    private func roundTrip(_ type: LoopEventType, _ data: Data) throws -> [UInt8] {
        func trip<T: Codable>(_: T.Type) throws -> [UInt8] {
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return try CanonicalJSON.canonicalize(Array(try encoder.encode(try JSONDecoder().decode(T.self, from: data))))
        }
        switch type {
        case .evalRunStarted: return try trip(EvalRunStarted.self)
        case .caseOutcomeRecorded: return try trip(CaseOutcomeRecorded.self)
        case .evalRunCompleted: return try trip(EvalRunCompleted.self)
        case .failureDetected: return try trip(FailureDetected.self)
        case .regressionDetected: return try trip(RegressionDetected.self)
        case .failureResolved: return try trip(FailureResolved.self)
        case .diagnosisRecorded: return try trip(DiagnosisRecorded.self)
        case .fixProposed: return try trip(FixProposed.self)
        case .fixVerified: return try trip(FixVerified.self)
        case .gateDecided: return try trip(GateDecided.self)
        case .reviewRecorded: return try trip(ReviewRecorded.self)
        case .fixMerged: return try trip(FixMerged.self)
        case .fixReverted: return try trip(FixReverted.self)
        case .guardRetired: return try trip(GuardRetired.self)
        case .caseAliased: return try trip(CaseAliased.self)
        case .policyAdopted: return try trip(PolicyAdopted.self)
        case .skillMapAdopted: return try trip(SkillMapAdopted.self)
        case .datasetDeclared: return try trip(DatasetDeclared.self)
        case .quarantineStarted: return try trip(QuarantineStarted.self)
        case .quarantineEnded: return try trip(QuarantineEnded.self)
        case .loopStepStarted: return try trip(LoopStepStarted.self)
        case .loopStepEnded: return try trip(LoopStepEnded.self)
        }
    }

    func testEveryTypeHasASchemaAndACanonicalExampleThatRoundTrips() throws {
        let page = try String(contentsOf: catalogue.appendingPathComponent("README.md"), encoding: .utf8)
        for type in LoopEventType.allCases {
            XCTAssertNoThrow(try EventType(type.rawValue))
            XCTAssertTrue(page.contains("`\(type.rawValue)`") || page.contains(type.rawValue), "\(type) is listed")
            let schema = try JSONSerialization.jsonObject(with: Data(contentsOf: catalogue.appendingPathComponent("schemas/\(type.rawValue).schema.json"))) as! [String: Any]
            XCTAssertEqual(schema["title"] as? String, type.rawValue)
            let example = try Data(contentsOf: catalogue.appendingPathComponent("examples/\(type.rawValue).json"))
            let text = Array(example).dropLast(example.last == 0x0A ? 1 : 0)
            XCTAssertEqual(try CanonicalJSON.canonicalizeObject(text), Array(text), "\(type): the example is canonical")
            XCTAssertEqual(try roundTrip(type, example), Array(text), "\(type): the example round-trips through its Swift type")
            // Every required field of the schema is a field the example has.
            let required = schema["required"] as? [String] ?? []
            let object = try JSONSerialization.jsonObject(with: example) as! [String: Any]
            XCTAssertTrue(Set(required).isSubset(of: Set(object.keys)), "\(type)")
        }
    }
}

extension CatalogueTests {
    /// The hand-written failure writer gives exactly what the generic encoder gives.
    func testFailureDetectedWriterMatchesTheEncoder() throws {
        var detected = FailureDetected(failure: "failure-12", kind: .eval, suite: "golden \"g\"", case: "a::b é \u{1F600}",
                                       runID: "run-7", status: .fail, passedBefore: false)
        XCTAssertEqual(detected.canonicalBytes, try LoopPayload.encode(detected))
        detected.passedBefore = true
        detected.firstFailingRun = "run-3"
        detected.kind = .regression
        detected.status = .error
        detected.skill = "date-normalizer"
        detected.message = "expected 56\n\tgot 54 </failure> \u{0001}"
        detected.traceID = "tr-1"
        XCTAssertEqual(detected.canonicalBytes, try LoopPayload.encode(detected))
        XCTAssertEqual(try LoopPayload.decode(FailureDetected.self, from: detected.canonicalBytes), detected)
    }

    /// The hand-written case-outcome writer gives exactly what the generic encoder gives.
    func testCaseOutcomeWriterMatchesTheEncoder() throws {
        var outcome = CaseOutcomeRecorded(case: "a::b \"q\" é", attempt: 2, status: .fail)
        XCTAssertEqual(outcome.canonicalBytes, try LoopPayload.encode(outcome))
        outcome.score = "0.41"
        outcome.threshold = "0.8"
        outcome.durationMS = 1840
        outcome.message = "expected 56\n\tgot 54 </failure>"
        outcome.traceID = "tr-1"
        outcome.skill = "date-normalizer"
        // U+FF21 sorts after U+1F600 by UTF-16 code units (0xFF21 > 0xD83D), before it by bytes.
        outcome.properties = ["z": "1", "a": "2", "\u{20AC}": "euro", "\u{1F600}": "grin", "\u{FF21}": "A", "a\"b": "q\n"]
        XCTAssertEqual(outcome.canonicalBytes, try LoopPayload.encode(outcome))
        outcome.expected = "56"
        outcome.actual = "54\n"
        outcome.actualSHA256 = String(repeating: "ab", count: 32)
        outcome.output = "AssertionError: 54 != 56\n--- system-out ---\nprinted"
        outcome.outputSHA256 = String(repeating: "cd", count: 32)
        outcome.expectedSHA256 = String(repeating: "ef", count: 32)
        XCTAssertEqual(outcome.canonicalBytes, try LoopPayload.encode(outcome))
        XCTAssertEqual(try LoopPayload.decode(CaseOutcomeRecorded.self, from: outcome.canonicalBytes), outcome)
    }
}
