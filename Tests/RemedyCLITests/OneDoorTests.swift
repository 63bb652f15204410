import Foundation
import XCTest
import RemediationLoop
import DemoStory

/// The loop's events are checked at every door: an event appended by hand (`remedy append`,
/// a batch) must be what the command that records it would record, or it is refused with
/// exit 8 and the ledger is left byte for byte as it was.
final class OneDoorTests: XCTestCase {
    private let folder = TemporaryFolder()
    private var ledger: String { folder.file("door.db") }

    private func run(_ arguments: [String], input: Data? = nil) throws -> Remedy.Output {
        try Remedy.run(arguments + ["--ledger", ledger], input: input)
    }

    private func report(_ name: String) -> String {
        folder.write(name + ".xml", AvalancheStory.reports.first { $0.name == name }!.xml)
    }

    /// A detected, diagnosed failure with fix `a` proposed for it.
    private func proposedFix() throws {
        XCTAssertEqual(try run(["ingest", "--init", report("run-1"), "--suite", "avalanche-golden", "--run", "1", "--kind", "eval"]).status, 0)
        XCTAssertEqual(try run(["diagnose", "failure-1", "--lever", "skill", "--target", "date-normalizer", "--by", "agent:t"]).status, 0)
        XCTAssertEqual(try run(["propose", "failure-1", "--fix", "a", "--change", "c", "--blast-radius", "low", "--by", "agent:f"]).status, 0)
    }

    /// Appends one event by hand and expects the refusal, with the events unchanged.
    private func assertRefused(_ type: String, stream: String, _ data: String, _ fragment: String, actor: String = "mallory",
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try run(["events"]).stdout
        let result = try run(["append", "--stream", stream, "--type", type, "--data", data, "--actor", actor])
        XCTAssertEqual(result.status, 8, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("remedy: error: \(type) on \(stream) refused: "), result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(fragment), "\(result.stderr) lacks \(fragment)", file: file, line: line)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, file: file, line: line)
        XCTAssertEqual(try run(["events"]).stdout, before, "nothing written", file: file, line: line)
    }

    /// The issue's forgery: a blocked fix, a hand-written decision from no policy, and a merge.
    func testAForgedGateDecisionCannotUnblockAFix() throws {
        try proposedFix()
        let blocking = folder.write("block.json", #"{"rules": [{"name": "nothing merges by itself", "when": {}, "decide": "block"}]}"#)
        XCTAssertEqual(try run(["policy", "adopt", blocking, "--by", "dana@example.com"]).status, 0)
        XCTAssertEqual(try run(["gate", "a"]).status, 11)
        let forged = #"{"fix":"a","decision":"auto-merge","policy_sha256":"\#(String(repeating: "0", count: 64))","rule":"trust me","rules_considered":[],"facts":{}}"#
        try assertRefused("GateDecided", stream: "fix-a", forged, "the gate decided block for fix a already")
        let merge = try run(["merged", "a", "--commit", "8a3b7c2"])
        XCTAssertEqual(merge.status, 8)
        XCTAssertTrue(merge.stderr.contains("blocked by the gate (nothing merges by itself)"), merge.stderr)
        try assertRefused("FixMerged", stream: "fix-a", #"{"fix":"a","commit":"8a3b7c2","by":"ci"}"#, "blocked by the gate")
        // Through a batch too, naming the line.
        let batch = #"{"stream":"note-1","type":"NoteTaken","data":{}}"# + "\n" + #"{"stream":"fix-a","type":"FixMerged","data":{"fix":"a","commit":"8a3b7c2","by":"ci"}}"#
        let refused = try run(["append", "--ndjson", "-"], input: Data(batch.utf8))
        XCTAssertEqual(refused.status, 8)
        XCTAssertTrue(refused.stderr.hasPrefix("remedy: error: line 2: FixMerged on fix-a refused: "), refused.stderr)
        XCTAssertEqual(try run(["events", "--type", "NoteTaken"]).stdout, "", "all or nothing")
    }

    /// A decision appended by hand must be the one the adopted policy gives for the recorded
    /// facts; the exact decision `remedy gate` would record is accepted.
    func testAHandWrittenGateDecisionMustBeThePolicysOwn() throws {
        try proposedFix()
        // What the gate would record, found on a copy of the ledger.
        let copy = folder.file("copy.db")
        try FileManager.default.copyItem(atPath: ledger, toPath: copy)
        XCTAssertEqual(try Remedy.run(["gate", "a", "--ledger", copy]).status, 10)
        let line = try XCTUnwrap(try Remedy.run(["events", "--type", "GateDecided", "--ledger", copy]).stdoutLines.first)
        let envelope = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let decision = try XCTUnwrap(envelope["data"] as? [String: Any])
        func payload(_ change: (inout [String: Any]) -> Void) throws -> String {
            var data = decision
            change(&data)
            return String(decoding: try JSONSerialization.data(withJSONObject: data), as: UTF8.self)
        }
        try assertRefused("GateDecided", stream: "fix-a", try payload { $0["policy_sha256"] = String(repeating: "0", count: 64) },
                          "the policy in force has SHA-256")
        try assertRefused("GateDecided", stream: "fix-a", try payload { data in
            var facts = data["facts"] as! [String: Any]
            facts["verified"] = "true"
            data["facts"] = facts
        },
                          "verified differ")
        try assertRefused("GateDecided", stream: "fix-a", try payload { $0["decision"] = "auto-merge" },
                          "the policy in force decides review for fix a")
        try assertRefused("GateDecided", stream: "fix-b", try payload { _ in }, "GateDecided belongs on stream fix-a, not fix-b")
        try assertRefused("GateDecided", stream: "fix-b", try payload { $0["fix"] = "b" }, "no fix b")
        let honest = try run(["append", "--stream", "fix-a", "--type", "GateDecided", "--data", try payload { _ in }])
        XCTAssertEqual(honest.status, 0, honest.stderr)
        XCTAssertEqual(try run(["gate", "a"]).status, 10, "the recorded decision stands")
    }

    func testForgedStepsAreRefusedAndHonestOnesAccepted() throws {
        try proposedFix()
        try assertRefused("FixMerged", stream: "fix-a", #"{"fix":"a","commit":"8a3b7c2"}"#, "neither a gate decision nor an approval")
        try assertRefused("ReviewRecorded", stream: "fix-a", #"{"fix":"a","verdict":"approve","by":"agent:fixer"}"#, "reviews are a person's")
        try assertRefused("FailureResolved", stream: "failure-1",
                          #"{"failure":"failure-1","suite":"avalanche-golden","case":"forecast.bulletins::slf-date-format","run_id":"1","fix":"a","became_guard":true}"#,
                          "run 1 of suite avalanche-golden has completed")
        try assertRefused("FixVerified", stream: "fix-a",
                          #"{"fix":"a","suite":"avalanche-golden","run_id":"1","dataset_source":"declared","golden_cases":1,"cases_covered":1,"missing_cases":[],"guards_total":0,"guards_failed":[],"fail_to_pass":[],"pass_to_fail":[],"still_failing":[],"clean":true}"#,
                          "is not a verification run of a")
        try assertRefused("FailureDetected", stream: "failure-7",
                          #"{"failure":"failure-7","kind":"eval","suite":"avalanche-golden","case":"x","run_id":"1","first_failing_run":"1","status":"fail","passed_before":false}"#,
                          "the next failure detected is failure-")
        try assertRefused("CaseOutcomeRecorded", stream: "run-avalanche-golden/1", #"{"case":"x","attempt":1,"status":"pass"}"#, "has completed")
        // A word outside a closed set is not the catalogue's payload at all: exit 2, the field named.
        let before = try run(["events"]).stdout
        let magic = try run(["append", "--stream", "failure-1", "--type", "DiagnosisRecorded",
                             "--data", #"{"failure":"failure-1","lever":"magic","target":"t","evidence":[],"by":"agent:t"}"#])
        XCTAssertEqual(magic.status, 2, magic.stderr)
        XCTAssertTrue(magic.stderr.contains(#""lever": unknown lever 'magic' (expected code, threshold or skill)"#), magic.stderr)
        XCTAssertEqual(try run(["events"]).stdout, before)
        // A person's approval, written by hand as `remedy review` would, is accepted; then the merge.
        let review = try run(["append", "--stream", "fix-a", "--type", "ReviewRecorded", "--data", #"{"fix":"a","verdict":"approve","by":"dana@example.com"}"#])
        XCTAssertEqual(review.status, 0, review.stderr)
        XCTAssertEqual(try run(["merged", "a", "--commit", "8a3b7c2"]).status, 0)
        try assertRefused("GuardRetired", stream: "case-0000000000000000",
                          #"{"suite":"avalanche-golden","case":"forecast.bulletins::slf-date-format","reason":"r","by":"ci"}"#, "retired by a person")
        XCTAssertEqual(try run(["verify"]).status, 0)
    }

    /// A run written by hand completes only with what ingest would have derived from its
    /// outcomes: every detection and resolution, and the counts; its outcomes are final once
    /// detection starts.
    func testAHandWrittenRunCompletesOnlyWithItsDetections() throws {
        XCTAssertEqual(try run(["init"]).status, 0)
        func line(_ type: String, _ stream: String, _ data: String) -> String { #"{"stream":"\#(stream)","type":"\#(type)","data":\#(data)}"# }
        func outcome(_ key: String, _ attempt: Int, _ status: String) -> String {
            line("CaseOutcomeRecorded", "run-s/1", #"{"case":"\#(key)","attempt":\#(attempt),"status":"\#(status)"}"#)
        }
        let started = line("EvalRunStarted", "run-s/1", #"{"suite":"s","run_id":"1","kind":"eval","format":"junit","reports":[]}"#)
        // a passes, b fails, c is skipped, d fails and then passes (flaky).
        let outcomes = [outcome("a", 1, "pass"), outcome("b", 1, "fail"), outcome("c", 1, "skip"), outcome("d", 1, "fail"), outcome("d", 2, "pass")]
        let detected = line("FailureDetected", "failure-1",
                            #"{"failure":"failure-1","kind":"eval","suite":"s","case":"b","run_id":"1","first_failing_run":"1","status":"fail","passed_before":false}"#)
        func completed(flaky: Int = 1, newFailures: Int = 1) -> String {
            line("EvalRunCompleted", "run-s/1", #"{"suite":"s","run_id":"1","tests":5,"failures":2,"errors":0,"skipped":1,"duplicates":0,"cases":4,"new_failures":\#(newFailures),"still_failing":0,"fixed":0,"regressions":0,"flaky":\#(flaky)}"#)
        }
        func refused(_ lines: [String], _ fragment: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let result = try run(["append", "--ndjson", "-"], input: Data(lines.joined(separator: "\n").utf8))
            XCTAssertEqual(result.status, 8, result.stderr, file: file, line: line)
            XCTAssertTrue(result.stderr.contains(fragment), "\(result.stderr) lacks \(fragment)", file: file, line: line)
            XCTAssertEqual(try run(["events"]).stdout, "", "nothing written", file: file, line: line)
        }
        try refused([started] + outcomes + [completed(newFailures: 0)],
                    "line 7: EvalRunCompleted on run-s/1 refused: b ended with fail in run 1 and no failure is open for it: record its FailureDetected")
        try refused([started] + outcomes + [detected, outcome("b", 2, "pass")], "line 8: CaseOutcomeRecorded on run-s/1 refused: run 1 of suite s has its detections recorded: its outcomes are final")
        try refused([started] + outcomes + [detected, completed(flaky: 0)], "run 1 recorded flaky 1, not 0: a completion counts what the run recorded")
        let honest = try run(["append", "--ndjson", "-"], input: Data(([started] + outcomes + [detected, completed()]).joined(separator: "\n").utf8))
        XCTAssertEqual(honest.status, 0, honest.stderr)
        try assertRefused("FailureDetected", stream: "failure-2",
                          #"{"failure":"failure-2","kind":"eval","suite":"s","case":"d","run_id":"1","first_failing_run":"1","status":"fail","passed_before":false}"#,
                          "run 1 of suite s has completed")
        XCTAssertEqual(try run(["events", "--type", "FailureDetected"]).stdoutLines.count, 1)
    }

    /// The shipped example events and the benchmark generator's history are real loop histories.
    func testTheExampleEventsPassTheDoor() throws {
        try Remedy.seedExampleEvents(ledger)
        XCTAssertTrue(try run(["guards", "--list"]).stdout.contains("golden/alerts/heart-rate-danger"))
    }
}
