import Testing
import Events
@testable import RemediationLoop

/// The loop's rules for recording a run, event by event, on the state alone: a run completes
/// only with what ingest would derive, and nothing may change under a run that still has to
/// record what it derived.
@Suite struct RunCompletionTests {
    /// A state the rules are applied to as the door applies them: checked, then folded.
    struct Door {
        var state = LoopState()

        mutating func record(_ type: LoopEventType, _ stream: String, _ json: String) throws {
            let event = try LoopEvent(type, data: Array(json.utf8))
            try state.check(event, stream: stream)
            state.apply(event, stream: stream)
        }

        /// The refusal's message, or nil when the event was accepted.
        mutating func refusal(_ type: LoopEventType, _ stream: String, _ json: String) -> String? {
            do {
                try record(type, stream, json)
                return nil
            } catch let error as LoopError {
                return error.message
            } catch {
                return "\(error)"
            }
        }

        mutating func start(_ run: Int, verifies fix: String? = nil) throws {
            let verifies = fix.map { #","verifies":"\#($0)""# } ?? ""
            try record(.evalRunStarted, "run-s/\(run)", #"{"suite":"s","run_id":"\#(run)","kind":"eval","format":"junit","reports":[]\#(verifies)}"#)
        }

        mutating func outcome(_ run: Int, _ key: String, _ status: String, attempt: Int = 1) throws {
            try record(.caseOutcomeRecorded, "run-s/\(run)", #"{"case":"\#(key)","attempt":\#(attempt),"status":"\#(status)"}"#)
        }

        static func completion(_ run: Int, cases: Int, newFailures: Int = 0, stillFailing: Int = 0, fixed: Int = 0, regressions: Int = 0) -> String {
            #"{"suite":"s","run_id":"\#(run)","tests":\#(cases),"failures":0,"errors":0,"skipped":0,"duplicates":0,"cases":\#(cases),"new_failures":\#(newFailures),"still_failing":\#(stillFailing),"fixed":\#(fixed),"regressions":\#(regressions),"flaky":0}"#
        }

        mutating func complete(_ run: Int, cases: Int, newFailures: Int = 0, stillFailing: Int = 0, fixed: Int = 0, regressions: Int = 0) throws {
            try record(.evalRunCompleted, "run-s/\(run)", Self.completion(run, cases: cases, newFailures: newFailures, stillFailing: stillFailing, fixed: fixed, regressions: regressions))
        }

        static func detection(_ number: Int, _ key: String, run: Int, kind: FailureKind = .eval, passedBefore: Bool = false) -> String {
            #"{"failure":"failure-\#(number)","kind":"\#(kind.rawValue)","suite":"s","case":"\#(key)","run_id":"\#(run)","first_failing_run":"\#(run)","status":"fail","passed_before":\#(passedBefore)}"#
        }
    }

    /// A fold may read a run's outcomes before its completion or after it (the write side
    /// reads the kept runs' outcomes last): the run comes out the same.
    @Test func aRunFoldsTheSameWhenItsOutcomesComeAfterItsCompletion() throws {
        let started = #"{"suite":"s","run_id":"1","kind":"eval","format":"junit","reports":[]}"#
        let completed = Door.completion(1, cases: 4)
        let outcomes = [("a", "pass"), ("b", "fail"), ("c", "skip"), ("d", "error"), ("b", "pass")].enumerated().map { index, outcome in
            #"{"case":"\#(outcome.0)","attempt":\#(index + 1),"status":"\#(outcome.1)"}"#
        }
        var inOrder = LoopState(), outcomesLast = LoopState()
        try inOrder.apply(type: "EvalRunStarted", data: Array(started.utf8), stream: "run-s/1")
        try outcomesLast.apply(type: "EvalRunStarted", data: Array(started.utf8), stream: "run-s/1")
        for outcome in outcomes { try inOrder.apply(type: "CaseOutcomeRecorded", data: Array(outcome.utf8), stream: "run-s/1") }
        try inOrder.apply(type: "EvalRunCompleted", data: Array(completed.utf8), stream: "run-s/1")
        try outcomesLast.apply(type: "EvalRunCompleted", data: Array(completed.utf8), stream: "run-s/1")
        for outcome in outcomes { try outcomesLast.apply(type: "CaseOutcomeRecorded", data: Array(outcome.utf8), stream: "run-s/1") }
        #expect(inOrder.runs == outcomesLast.runs)
        #expect(inOrder.runs["run-s/1"]?.finalStatus == ["a": .pass, "b": .pass, "d": .error])
    }

    /// The first case by key names the problem, whatever its characters.
    @Test func theFirstUndetectedCaseIsNamed() throws {
        var door = Door()
        try door.start(1)
        for key in ["\u{10FFFF}", "b", "a"] { try door.outcome(1, key, "fail") }
        let message = door.refusal(.evalRunCompleted, "run-s/1", Door.completion(1, cases: 3)) ?? "accepted"
        #expect(message.hasPrefix("a ended with fail in run 1 and no failure is open for it"), "\(message)")

        var alone = Door()
        try alone.start(1)
        try alone.outcome(1, "\u{10FFFF}", "fail")
        #expect(alone.refusal(.evalRunCompleted, "run-s/1", Door.completion(1, cases: 1, stillFailing: 1))?.contains("no failure is open for it") == true)
    }

    /// A guard slips: until its regression is recorded, the guard can be neither retired nor
    /// renamed, nor the failure resolved elsewhere; then the run completes, counting it.
    @Test func aSlippedGuardIsRecordedBeforeItCanChange() throws {
        var door = Door()
        try door.start(1)
        try door.outcome(1, "x", "fail")
        try door.record(.failureDetected, "failure-1", Door.detection(1, "x", run: 1))
        try door.complete(1, cases: 1, newFailures: 1)
        try door.record(.fixProposed, "fix-f", #"{"fix":"f","failures":["failure-1"],"lever":"code","change":"c","origin":"human","blast_radius":"low","reversible":true,"by":"dana@example.com"}"#)
        try door.record(.reviewRecorded, "fix-f", #"{"fix":"f","verdict":"approve","by":"dana@example.com"}"#)

        // A verification run of the fix is open: the fix cannot merge under it.
        try door.start(2, verifies: "f")
        let merge = #"{"fix":"f","commit":"8a3b7c2","by":"ci"}"#
        #expect(door.refusal(.fixMerged, "fix-f", merge)?.contains("run 2 of suite s is verifying fix f") == true)
        try door.outcome(2, "x", "pass")
        let verified = door.state.verification(fix: "f", suite: "s", runID: "2", finalStatus: ["x": .pass], failed: [])
        try door.record(.fixVerified, "fix-f", String(decoding: try LoopPayload.encode(verified), as: UTF8.self))
        #expect(door.refusal(.fixVerified, "fix-f", String(decoding: try LoopPayload.encode(verified), as: UTF8.self))?.contains("was recorded already") == true)
        try door.complete(2, cases: 1)
        // A new verification supersedes the approval given before it.
        #expect(door.refusal(.fixMerged, "fix-f", merge)?.contains("neither a gate decision nor an approval") == true)
        try door.record(.reviewRecorded, "fix-f", #"{"fix":"f","verdict":"approve","by":"dana@example.com"}"#)
        try door.record(.fixMerged, "fix-f", merge)

        try door.start(3)
        try door.outcome(3, "x", "pass")
        try door.record(.failureResolved, "failure-1", #"{"failure":"failure-1","suite":"s","case":"x","run_id":"3","fix":"f","became_guard":true}"#)
        try door.complete(3, cases: 1, fixed: 1)

        try door.start(4)
        try door.outcome(4, "x", "fail")
        try door.record(.failureDetected, "failure-2", Door.detection(2, "x", run: 4, kind: .regression, passedBefore: true))
        #expect(door.refusal(.caseOutcomeRecorded, "run-s/4", #"{"case":"y","attempt":1,"status":"pass"}"#)?.contains("its outcomes are final") == true)
        #expect(door.refusal(.evalRunCompleted, "run-s/4", Door.completion(4, cases: 1, newFailures: 1, regressions: 1))?
            .contains("failure-2 fails a regression guard: record its RegressionDetected") == true)
        let retire = #"{"suite":"s","case":"x","reason":"obsolete","by":"dana@example.com"}"#
        #expect(door.refusal(.guardRetired, LoopStreams.case(suite: "s", key: "x").rawValue, retire)?.contains("has still to record failure-2") == true)
        #expect(door.refusal(.caseAliased, LoopStreams.case(suite: "s", key: "x").rawValue, #"{"suite":"s","from":"x","to":"x2"}"#)?.contains("has still to record failure-2") == true)

        let regression = #"{"failure":"failure-2","suite":"s","case":"x","run_id":"4","guard_failure":"failure-1","guard_fix":"f","last_passing_run":"3"}"#
        try door.record(.regressionDetected, "failure-2", regression)
        #expect(door.refusal(.regressionDetected, "failure-2", regression)?.contains("was recorded already") == true)
        #expect(door.refusal(.evalRunCompleted, "run-s/4", Door.completion(4, cases: 1, newFailures: 1))?.contains("regressions 1, not 0") == true)
        try door.complete(4, cases: 1, newFailures: 1, regressions: 1)
        #expect(door.refusal(.regressionDetected, "failure-2", regression)?.contains("is not being recorded") == true)

        // A case still failing from an earlier run counts as still failing, not as new.
        try door.start(5)
        try door.outcome(5, "x", "fail")
        #expect(door.refusal(.evalRunCompleted, "run-s/5", Door.completion(5, cases: 1, newFailures: 1))?.contains("new_failures 0, not 1, still_failing 1, not 0") == true)
        try door.complete(5, cases: 1, stillFailing: 1)
    }
}
