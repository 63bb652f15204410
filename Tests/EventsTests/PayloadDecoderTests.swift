import Foundation
import XCTest
@testable import Events

/// The ledger's payload decoder gives what `JSONDecoder` gives, and fails where it fails.
final class PayloadDecoderTests: XCTestCase {
    private let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Events/Catalogue/examples")

    private func agree<T: Codable & Equatable>(_: T.Type, _ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try JSONDecoder().decode(T.self, from: Data(bytes))
        XCTAssertEqual(try PayloadDecoder().decode(T.self, from: bytes), reference, file: file, line: line)
    }

    func testEveryCatalogueExampleDecodesAsJSONDecoderDecodesIt() throws {
        for type in LoopEventType.allCases {
            let bytes = Array(try Data(contentsOf: examples.appendingPathComponent("\(type.rawValue).json")))
            switch type {
            case .evalRunStarted: try agree(EvalRunStarted.self, bytes)
            case .caseOutcomeRecorded: try agree(CaseOutcomeRecorded.self, bytes)
            case .evalRunCompleted: try agree(EvalRunCompleted.self, bytes)
            case .failureDetected: try agree(FailureDetected.self, bytes)
            case .regressionDetected: try agree(RegressionDetected.self, bytes)
            case .failureResolved: try agree(FailureResolved.self, bytes)
            case .diagnosisRecorded: try agree(DiagnosisRecorded.self, bytes)
            case .fixProposed: try agree(FixProposed.self, bytes)
            case .fixVerified: try agree(FixVerified.self, bytes)
            case .gateDecided: try agree(GateDecided.self, bytes)
            case .reviewRecorded: try agree(ReviewRecorded.self, bytes)
            case .fixMerged: try agree(FixMerged.self, bytes)
            case .fixReverted: try agree(FixReverted.self, bytes)
            case .guardRetired: try agree(GuardRetired.self, bytes)
            case .caseAliased: try agree(CaseAliased.self, bytes)
            case .policyAdopted: try agree(PolicyAdopted.self, bytes)
            case .skillMapAdopted: try agree(SkillMapAdopted.self, bytes)
            case .datasetDeclared: try agree(DatasetDeclared.self, bytes)
            case .quarantineStarted: try agree(QuarantineStarted.self, bytes)
            case .quarantineEnded: try agree(QuarantineEnded.self, bytes)
            case .loopStepStarted: try agree(LoopStepStarted.self, bytes)
            case .loopStepEnded: try agree(LoopStepEnded.self, bytes)
            }
        }
    }

    func testOptionalsNestedValuesAndEscapes() throws {
        var outcome = CaseOutcomeRecorded(case: "a::\"quoted\" \u{e9}\\n", attempt: 2, status: .fail)
        outcome.message = "line 1\nline 2 \u{1F600}"
        outcome.properties = ["b": "2", "a": "1"]
        outcome.durationMS = -5
        try agree(CaseOutcomeRecorded.self, outcome.canonicalBytes)
        try agree(CaseOutcomeRecorded.self, Array(#"{"attempt":1,"case":"x","message":null,"status":"pass"}"#.utf8))
        let gate = GateDecided(fix: "fix-1", decision: .review, policySHA256: "ab", rule: "r", rulesConsidered: ["a", "b"], facts: ["k": "v"])
        try agree(GateDecided.self, try LoopPayload.encode(gate))
    }

    func testMissingAndMistypedFieldsFailAsWithJSONDecoder() {
        let decoder = PayloadDecoder()
        XCTAssertThrowsError(try decoder.decode(CaseOutcomeRecorded.self, from: Array(#"{"attempt":1,"status":"pass"}"#.utf8))) { error in
            guard case DecodingError.keyNotFound(let key, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(key.stringValue, "case")
        }
        XCTAssertThrowsError(try decoder.decode(CaseOutcomeRecorded.self, from: Array(#"{"attempt":"1","case":"x","status":"pass"}"#.utf8))) { error in
            guard case DecodingError.typeMismatch(_, let context) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(context.codingPath.map(\.stringValue), ["attempt"])
        }
        XCTAssertThrowsError(try decoder.decode(FixProposed.self, from: Array(#"{"failures":[1]}"#.utf8)))
        XCTAssertThrowsError(try decoder.decode(CaseOutcomeRecorded.self, from: Array(#"{"attempt":1,"case":"x","status":"pass""#.utf8))) { error in
            XCTAssertTrue(error is EventError, "\(error)")
        }
        XCTAssertThrowsError(try decoder.decode(CaseOutcomeRecorded.self, from: Array("[]".utf8)))
    }

    func testSummaryReadsTheFieldsFoldsUseAndSkipsTheRest() throws {
        var outcome = CaseOutcomeRecorded(case: "suite::a \"b\"", attempt: 3, status: .error)
        outcome.message = "{not: [json], \"quoted\"}"
        outcome.properties = ["nested": "{[}"]
        outcome.skill = "forecast"
        let summary = try CaseOutcomeRecorded.summary(from: outcome.canonicalBytes)
        XCTAssertEqual(summary, .init(case: "suite::a \"b\"", attempt: 3, status: .error, skill: "forecast"))
        XCTAssertNil(try CaseOutcomeRecorded.summary(from: CaseOutcomeRecorded(case: "c", attempt: 1, status: .pass).canonicalBytes).skill)
        XCTAssertThrowsError(try CaseOutcomeRecorded.summary(from: Array(#"{"attempt":1,"status":"pass"}"#.utf8)))
    }

    func testCatalogueTypesAreCheckedOnTheWayIn() throws {
        // Every example line of a catalogue type has the catalogue's fields.
        for line in ExampleEvents.ndjson.split(separator: "\n") {
            XCTAssertNoThrow(try BatchLine.decode(Array(line.utf8)), String(line))
        }
        XCTAssertThrowsError(try BatchLine.decode(Array(#"{"stream":"failure-9","type":"FailureDetected","data":{"failure":"failure-9"}}"#.utf8))) { error in
            XCTAssertEqual((error as? EventError)?.code, .catalogueMismatch)
            XCTAssertTrue("\(error)".contains(#"missing "kind""#), "\(error)")
        }
        XCTAssertThrowsError(try ProposedEvent(stream: StreamName("fix-1"), type: EventType("FixMerged"), json: Array(#"{"fix":"fix-1","commit":7}"#.utf8))) { error in
            XCTAssertTrue("\(error)".contains(#""commit" must be String"#), "\(error)")
        }
        // A case outcome names its case: an empty key is refused, with the field named.
        XCTAssertThrowsError(try BatchLine.decode(Array(#"{"stream":"run-s/1","type":"CaseOutcomeRecorded","data":{"attempt":1,"case":"","status":"pass"}}"#.utf8))) { error in
            XCTAssertEqual((error as? EventError)?.code, .catalogueMismatch)
            XCTAssertTrue("\(error)".contains(#""case": must not be empty"#), "\(error)")
        }
        // Other types are the user's own; a later schema version is a newer remedy's to read.
        XCTAssertNoThrow(try ProposedEvent(stream: StreamName("fix-1"), type: EventType("FixLanded"), json: Array("{}".utf8)))
        XCTAssertNoThrow(try BatchLine.decode(Array(#"{"stream":"fix-1","type":"FixMerged","schema_version":2,"data":{}}"#.utf8)))
    }

    /// Outcomes are checked by a one-pass reader: it accepts and refuses what the decoder does.
    func testTheOutcomeCheckAgreesWithTheDecoder() throws {
        let payloads = [
            #"{"attempt":1,"case":"a","status":"pass"}"#,
            #"{"attempt":1,"case":"a","status":"pass","score":null,"duration_ms":null,"properties":null,"extra":[1,{"x":2}]}"#,
            #"{"attempt":1,"case":"a","properties":{"k":"v"},"status":"fail","skill":"s"}"#,
            #"{"attempt":"1","case":"a","status":"pass"}"#,
            #"{"attempt":1,"case":null,"status":"pass"}"#,
            #"{"attempt":1,"status":"pass"}"#,
            #"{"attempt":1,"case":"a","status":"pass","duration_ms":"5"}"#,
            #"{"attempt":1,"case":"a","status":"pass","properties":{"k":1}}"#,
            #"{"attempt":1,"case":"a","status":"pass","properties":[]}"#,
            #"{"attempt":1,"case":"a","status":"pass","message":7}"#,
        ]
        for payload in payloads {
            let bytes = try CanonicalJSON.canonicalizeObject(Array(payload.utf8))
            let decodes = (try? PayloadDecoder().decode(CaseOutcomeRecorded.self, from: bytes)) != nil
            let validates = (try? LoopEventType.caseOutcomeRecorded.validate(bytes)) != nil
            XCTAssertEqual(validates, decodes, payload)
        }
    }
    /// Folds read an outcome's summary with a one-scan reader: where it answers, it answers as
    /// the parser does; it leaves escapes and odd layouts to the parser, and reads the plain
    /// canonical payloads the ledger stores itself.
    func testTheStoredOutcomeScannerAgreesWithTheParser() throws {
        let payloads = [
            #"{"attempt":1,"case":"a","status":"pass"}"#,
            #"{"attempt":12,"case":"golden/a::b","duration_ms":2477,"properties":{"model":"m-2","t":"0"},"score":"0.85","skill":"intake","status":"fail"}"#,
            #"{"attempt":1,"case":"a \"b\"","status":"error","message":"{not: [json], \"quoted\"}"}"#,
            #"{"attempt":1,"case":"a\\","status":"pass"}"#,
            #"{"attempt":1,"case":"a","status":"pass","message":"ends in a backslash \\"}"#,
            #"{"attempt":1,"ca\u0073e":"a","status":"pass"}"#,
            #"{"attempt":1,"case":"é ✓","skill":null,"status":"skip"}"#,
            #"{"attempt":1,"case":"a","status":"unknown"}"#,
            #"{"attempt":"1","case":"a","status":"pass"}"#,
            #"{"attempt":1.5,"case":"a","status":"pass"}"#,
            #"{"attempt":01,"case":"a","status":"pass"}"#,
            #"{"attempt":-0,"case":"a","status":"pass"}"#,
            #"{"attempt":-3,"case":"a","status":"pass"}"#,
            #"{"attempt":9007199254740993,"case":"a","status":"pass"}"#,
            #"{"attempt":1,"case":7,"status":"pass"}"#,
            #"{"attempt":1,"status":"pass"}"#,
            #"{"attempt":1,"case":"a","status":"pass"} "#,
            #"{"attempt":1,"case":"a","status":"pass"}x"#,
            #"{ "attempt":1,"case":"a","status":"pass"}"#,
            #"{"attempt":1,"case":"a","status":"pass""#,
            #"{"attempt":1,"case":"a","status":"pass","extra":[1,{"x":"]}"}]}"#,
            #"{}"#, #"[]"#, #""#, #"{"#,
        ]
        var scanned = 0
        for payload in payloads {
            let bytes = Array(payload.utf8)
            let parsed = Result { try CaseOutcomeRecorded.parsedSummary(from: bytes) }
            if let fast = bytes.withUnsafeBufferPointer({ StoredOutcomeScanner.summary(of: $0) }) {
                scanned += 1
                XCTAssertEqual(fast, try parsed.get(), payload)
            }
            // What callers get is the parser's answer either way, errors included.
            switch (Result { try CaseOutcomeRecorded.summary(from: bytes) }, parsed) {
            case (.success(let a), .success(let b)): XCTAssertEqual(a, b, payload)
            case (.failure(let a), .failure(let b)): XCTAssertEqual("\(a)", "\(b)", payload)
            default: XCTFail("summary and the parser disagree on \(payload)")
            }
        }
        XCTAssertEqual(scanned, 6, "the plain payloads are read by the scan")
        // A payload the ledger stores (canonical, from the catalogue type) is always scanned.
        var outcome = CaseOutcomeRecorded(case: "suite::case-1", attempt: 2, status: .fail)
        outcome.properties = ["model": "m-1"]
        outcome.skill = "triage"
        let stored = outcome.canonicalBytes
        XCTAssertEqual(stored.withUnsafeBufferPointer { StoredOutcomeScanner.summary(of: $0) },
                       .init(case: "suite::case-1", attempt: 2, status: .fail, skill: "triage"))
    }
}
