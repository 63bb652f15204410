import DemoStory
import Foundation
import LoopRunner
import XCTest

/// `remedy loop run` with real shell handlers: the loop moves failures to merged fixes and
/// guards on its own, stops for a person where the policy says, and records every handler
/// that fails, hangs, lies or declines.
final class LoopRunTests: XCTestCase {
    private let folder = TemporaryFolder()
    private var ledger: String { folder.file("l.db") }

    /// A report of `cases` (name → passed), in JUnit XML.
    private func report(_ name: String, _ cases: [(String, Bool)]) -> String {
        let body = cases.map { name, passed in
            let parts = name.split(separator: "::")
            return #"<testcase classname="\#(parts[0])" name="\#(parts[1])">"# + (passed ? "" : #"<failure message="expected 5, got 4">trace-7</failure>"#) + "</testcase>"
        }.joined()
        return folder.write(name, #"<testsuite name="s" tests="\#(cases.count)">\#(body)</testsuite>"#)
    }

    /// A handler script that reads its input into `<step>-input.json` and prints `answer`.
    @discardableResult
    private func handler(_ name: String, _ script: String) -> String {
        let path = folder.write(name, "#!/bin/sh\n" + script + "\n")
        chmod(path, 0o755)
        return path
    }

    /// A config with the given handlers (step → path) and extra top-level fields.
    private func config(_ handlers: [String: String], timeout: Int = 20, extra: String = "") -> String {
        let entries = handlers.sorted { $0.key < $1.key }.map { #""\#($0.key)": {"command": ["\#($0.value)"], "timeout_s": \#(timeout)}"# }
        return folder.write("loop.json", #"{"handlers": {\#(entries.joined(separator: ", "))}\#(extra.isEmpty ? "" : ", " + extra)}"#)
    }

    private func loopRun(_ config: String, _ more: [String] = []) throws -> JSONLine {
        let result = try Remedy.run(["loop", "run", "--ledger", ledger, "--config", config, "--json"] + more, directory: folder.path)
        XCTAssertEqual(result.status, 0, result.stderr)
        return try JSONLine(result.stdout)
    }

    private func events(_ type: String) throws -> [String] {
        try Remedy.run(["events", "--ledger", ledger, "--type", type]).stdoutLines
    }

    private let cases = [("alerts.danger::level-5-triggers", false), ("forecast::ok", true)]
    private let passing = [("alerts.danger::level-5-triggers", true), ("forecast::ok", true)]

    private var standardHandlers: [String: String] { handlers(passing: passing) }

    /// Handlers that answer at once; the golden run passes `passing`.
    private func handlers(passing: [(String, Bool)]) -> [String: String] {
        let pass = report("pass.xml", passing)
        return [
            "propose": handler("propose.sh", #"cat > propose-input.json; echo "{\"fix\": \"fix-$REMEDY_ITEM\", \"change\": \"branch:fix-$REMEDY_ITEM\", \"blast_radius\": \"low\", \"reversible\": true}""#),
            "verify": handler("verify.sh", #"cat > verify-input.json; echo '{"reports": ["\#(pass)"]}'"#),
            "merge": handler("merge.sh", #"cat > merge-input.json; echo '{"commit": "ABC123"}'"#),
            "review": handler("review.sh", #"cat > review-input.json; echo '{"url": "https://reviews.example/1"}'"#),
            "diagnose": handler("diagnose.sh", #"cat > diagnose-input.json; echo '{"lever": "code", "target": "alerts.engine", "confidence": 0.8, "evidence": ["stack trace"]}'"#),
        ]
    }

    func testALintFailureBecomesAMergedFixAndAGuardWithNothingButIngestAndLoopRun() throws {
        // A lint finding (not a high-stakes target, which would need a person).
        let lint = [("src.forecast::E501", false), ("forecast::ok", true)], clean = [("src.forecast::E501", true), ("forecast::ok", true)]
        XCTAssertEqual(try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "s", "--run", "1", "--kind", "lint",
                                       report("fail.xml", lint)]).status, 0)
        let handlers = handlers(passing: clean)
        let run = try loopRun(config(handlers))
        // The standard diagnosis rule, then propose, verify, the gate (lint: auto-merge), merge.
        XCTAssertEqual(run.children("steps").map { "\($0.string("item") ?? "") \($0.string("step") ?? "") \($0.string("result") ?? "")" }, [
            "failure-1 diagnose decided", "failure-1 propose done", "fix-failure-1 verify done",
            "fix-failure-1 gate decided", "fix-failure-1 merge done",
        ])
        XCTAssertTrue(run.children("steps").dropFirst(3).first?.string("detail")?.contains("auto-merge") == true)
        XCTAssertEqual(run.int("items_moved"), 1)
        XCTAssertEqual(try events("FixMerged").count, 1)
        XCTAssertTrue(try events("FixMerged")[0].contains(#""commit":"abc123""#))
        // The handler got the contract's input and variables.
        let input = try JSONLine(String(contentsOfFile: folder.file("propose-input.json"), encoding: .utf8))
        XCTAssertEqual(input.string("step"), "propose")
        XCTAssertEqual(input.string("item"), "failure-1")
        XCTAssertEqual(input.child("failure")?.string("case"), "src.forecast::E501")
        XCTAssertEqual(input.child("failure")?.string("kind"), "lint")
        XCTAssertEqual(input.children("attempts").first?.string("message"), "expected 5, got 4")
        XCTAssertEqual(input.child("diagnosis")?.string("lever"), "code")
        XCTAssertEqual(input.string("ledger"), ledger)
        let verifyInput = try JSONLine(String(contentsOfFile: folder.file("verify-input.json"), encoding: .utf8))
        XCTAssertEqual(Set(verifyInput.strings("must_include") ?? []), ["src.forecast::E501", "forecast::ok"])

        // The next run shows the case passing: the failure is resolved and becomes a guard.
        XCTAssertEqual(try Remedy.run(["ingest", "--ledger", ledger, "--suite", "s", "--run", "2", "--kind", "lint", folder.file("pass.xml")]).status, 0)
        let guards = try Remedy.run(["guards", "--ledger", ledger])
        XCTAssertTrue(guards.stdout.contains("src.forecast::E501") && guards.stdout.contains("holding"), guards.stdout)
        // Why it is a guard: the chain from the failing attempt, with what it printed.
        let why = try JSONLine(try Remedy.run(["why", "src.forecast::E501", "--ledger", ledger, "--json"]).stdout)
        XCTAssertEqual(why.child("provenance")?.string("detected_message"), "expected 5, got 4")
        XCTAssertEqual(why.children("evidence").first?.string("output"), "--- failure ---\ntrace-7")
        XCTAssertEqual(try loopRun(config(handlers)).children("steps").count, 0)
        XCTAssertEqual(try Remedy.run(["verify", "--ledger", ledger]).status, 0)
    }

    /// A linter's SARIF: the violation fixed is absent from the next report, which lists
    /// every finding in the tree, so the case passed; through the loop it becomes a guard.
    func testAFixedSARIFViolationBecomesAGuardThroughTheLoop() throws {
        func sarif(_ name: String, violations: Bool) -> String {
            let result = #"{"ruleId": "no-unused-vars", "message": {"text": "'x' is assigned a value but never used."}, "#
                + #""locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/forecast.js"}, "region": {"startLine": 3, "snippet": {"text": "const x = 1;"}}}}]}"#
            return folder.write(name, #"{"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": [{"tool": {"driver": "#
                + #"{"name": "ESLint", "version": "9.34.0", "rules": [{"id": "no-unused-vars", "defaultConfiguration": {"level": "error"}}]}}, "results": [\#(violations ? result : "")]}]}"#)
        }
        let ingest = try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "eslint", "--run", "1", "--json", sarif("lint-1.sarif", violations: true)])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)
        XCTAssertEqual(try JSONLine(ingest.stdout).int("new_failures"), 1)
        XCTAssertTrue(try events("FailureDetected")[0].contains(#""kind":"lint""#), "the kind follows from the tool")
        var handlers = handlers(passing: passing)
        handlers["verify"] = handler("verify-sarif.sh", #"cat > verify-input.json; echo '{"reports": ["\#(sarif("clean.sarif", violations: false))"]}'"#)
        let run = try loopRun(config(handlers))
        XCTAssertEqual(Array(run.children("steps").map { "\($0.string("step") ?? "") \($0.string("result") ?? "")" }.suffix(3)), ["verify done", "gate decided", "merge done"])
        let verified = try events("FixVerified")
        XCTAssertTrue(verified.first?.contains(#""clean":true"#) == true, verified.joined())
        // The next lint run no longer lists the violation: fixed, and a guard.
        let next = try Remedy.run(["ingest", "--ledger", ledger, "--suite", "eslint", "--run", "2", "--json", folder.file("clean.sarif")])
        XCTAssertEqual(try JSONLine(next.stdout).int("fixed"), 1, next.stdout)
        XCTAssertEqual(try JSONLine(next.stdout).int("tests"), 0, "the report's own counts: no results")
        let guards = try Remedy.run(["guards", "--ledger", ledger])
        XCTAssertTrue(guards.stdout.contains("src/forecast.js::no-unused-vars#") && guards.stdout.contains("holding"), guards.stdout)
        // The same violation back is a regression of its guard.
        let back = try Remedy.run(["ingest", "--ledger", ledger, "--suite", "eslint", "--run", "3", "--json", sarif("lint-3.sarif", violations: true)])
        XCTAssertEqual(try JSONLine(back.stdout).int("regressions"), 1, back.stdout)
    }

    /// ruff's own SARIF, before and after `ruff --fix` removed two unused imports
    /// (`Tools/fixtures/generate-real-reports.sh`): the two fixed, the three left still failing
    /// under the same keys although their lines moved.
    func testRuffsSARIFBeforeAndAfterItsOwnFix() throws {
        let generated = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("IngestTests/Fixtures/generated")
        let first = try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "ruff", "--run", "1", "--json",
                                    generated.appendingPathComponent("gen-ruff-0.17.6-before-fix.sarif").path])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertEqual(try JSONLine(first.stdout).int("new_failures"), 5)
        XCTAssertTrue(try events("FailureDetected").allSatisfy { $0.contains(#""kind":"lint""#) })
        let second = try Remedy.run(["ingest", "--ledger", ledger, "--suite", "ruff", "--run", "2", "--json",
                                     generated.appendingPathComponent("gen-ruff-0.17.6-after-fix.sarif").path])
        let summary = try JSONLine(second.stdout)
        XCTAssertEqual(summary.int("fixed"), 2, second.stdout)
        XCTAssertEqual(summary.int("still_failing"), 3, second.stdout)
        XCTAssertEqual(summary.int("new_failures"), 0, second.stdout)
        XCTAssertEqual(try events("FailureResolved").count, 2)
        XCTAssertTrue(try events("FailureResolved").allSatisfy { $0.contains("::F401#") })
    }

    func testATestFailureStopsForAPersonThenMergesOnTheNextRun() throws {
        XCTAssertEqual(try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "s", "--run", "1", report("fail.xml", cases)]).status, 0)
        let config = config(standardHandlers)
        let first = try loopRun(config)
        XCTAssertEqual(first.children("steps").map { $0.string("step") ?? "" }, ["diagnose", "propose", "verify", "gate", "review"])
        XCTAssertTrue(first.children("steps").dropFirst(3).first?.string("detail")?.contains("review") == true)
        XCTAssertTrue(first.children("waiting").first?.string("waits_for")?.contains("a person's review") == true)
        // The review handler got the evidence to post.
        let review = try JSONLine(String(contentsOfFile: folder.file("review-input.json"), encoding: .utf8))
        XCTAssertTrue(review.string("evidence_markdown")?.contains("### Verification") == true)
        XCTAssertEqual(review.child("gate")?.string("decision"), "review")
        XCTAssertTrue(try events("LoopStepEnded").contains { $0.contains(#""link":"https://reviews.example/1""#) })

        // Nothing moves without the person: the review is not requested twice.
        XCTAssertEqual(try loopRun(config).children("steps").count, 0)
        XCTAssertEqual(try Remedy.run(["review", "fix-failure-1", "--approve", "--by", "dana", "--ledger", ledger]).status, 0)
        let next = try Remedy.run(["next", "--ledger", ledger, "--json"])
        XCTAssertEqual(try JSONLine(next.stdout).children("items").first?.string("kind"), "merge")
        let second = try loopRun(config)
        XCTAssertEqual(second.children("steps").map { "\($0.string("step") ?? "") \($0.string("result") ?? "")" }, ["merge done"])
        XCTAssertEqual(try events("FixMerged").count, 1)
    }

    func testAFailingHandlerIsRetriedThenEscalated() throws {
        XCTAssertEqual(try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "s", "--run", "1", report("fail.xml", cases)]).status, 0)
        let failing = handler("diagnose.sh", "cat > /dev/null; echo 'the triage model is down' >&2; exit 3")
        let config = config(["diagnose": failing], extra: #""max_attempts": 2, "backoff_s": 0"#)
        let first = try loopRun(config).children("steps")
        XCTAssertEqual(first.count, 1)
        XCTAssertEqual(first[0].string("result"), "retry")
        XCTAssertEqual(first[0].string("failure"), "exit")
        let ended = try XCTUnwrap(try events("LoopStepEnded").first)
        XCTAssertTrue(ended.contains(#""exit_code":3"#) && ended.contains("the triage model is down"), ended)
        let second = try loopRun(config).children("steps")
        XCTAssertEqual(second.map { "\($0.int("attempt") ?? 0) \($0.string("result") ?? "")" }, ["2 escalated"])
        // Escalated: it waits for a person, and status says so.
        let third = try loopRun(config)
        XCTAssertEqual(third.children("steps").count, 0)
        XCTAssertTrue(third.children("waiting").first?.string("waits_for")?.contains("a person") == true)
        let status = try JSONLine(try Remedy.run(["loop", "status", "--ledger", ledger, "--json"]).stdout).children("items")
        XCTAssertEqual(status.first?.int("failed_attempts"), 2)
        XCTAssertEqual(status.first?.bool("escalated"), true)
        XCTAssertEqual(status.first?.string("last_failure"), "exit")
        // A person's diagnosis moves it on.
        XCTAssertEqual(try Remedy.run(["diagnose", "failure-1", "--lever", "code", "--target", "alerts.engine", "--by", "dana", "--ledger", ledger]).status, 0)
        XCTAssertEqual(try JSONLine(try Remedy.run(["loop", "status", "--ledger", ledger, "--json"]).stdout).children("items").first?.string("step"), "propose")
    }

    func testAHangingHandlerIsKilledWithItsChildren() throws {
        XCTAssertEqual(try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "s", "--run", "1", report("fail.xml", cases)]).status, 0)
        let hanging = handler("diagnose.sh", "cat > /dev/null; sleep 60 & echo $! > child.pid; wait")
        let started = Date()
        let steps = try loopRun(config(["diagnose": hanging], timeout: 1)).children("steps")
        XCTAssertLessThan(Date().timeIntervalSince(started), 30)
        XCTAssertEqual(steps.first?.string("failure"), "timeout")
        XCTAssertEqual(steps.first?.string("result"), "retry")
        XCTAssertNotNil(steps.first?.string("retry_at"))
        let pid = try XCTUnwrap(Int32(String(contentsOfFile: folder.file("child.pid"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        usleep(200_000)
        // Gone, or a zombie no one has reaped yet (a container's first process may not reap).
        let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)).flatMap { $0.split(separator: ")").last?.split(separator: " ").first }
        XCTAssertTrue(state == nil || state == "Z", "the handler's child was killed with it (state \(state.map(String.init) ?? "gone"))")
    }

    /// `max_output_kib` sets how much of a handler's output is taken: an answer padded past
    /// 4 KiB is refused under a 4 KiB limit (the handler killed as it crosses it) and taken
    /// under the standard 1 MiB; a limit outside 1 KiB to 64 MiB is refused on load.
    func testTheHandlerOutputLimitIsConfigurable() throws {
        XCTAssertEqual(try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "s", "--run", "1", report("fail.xml", cases)]).status, 0)
        let padded = handler("diagnose-padded.sh", #"cat > /dev/null; printf '{"lever": "code", "target": "x", "evidence": ["%s"]}' "$(head -c 6000 /dev/zero | tr '\0' e)""#)
        let limited = folder.write("limited.json", #"{"handlers": {"diagnose": {"command": ["\#(padded)"], "max_output_kib": 4}}, "backoff_s": 0}"#)
        let refused = try loopRun(limited).children("steps").first
        XCTAssertEqual(refused?.string("failure"), "too-large")
        XCTAssertTrue(refused?.string("detail")?.contains("more than 4 KiB (max_output_kib)") == true, refused?.string("detail") ?? "")
        let standard = folder.write("standard.json", #"{"handlers": {"diagnose": {"command": ["\#(padded)"]}}, "backoff_s": 0}"#)
        XCTAssertEqual(try loopRun(standard).children("steps").first?.string("result"), "done")
        for bad in [0, 65_537] {
            let config = folder.write("bad-\(bad).json", #"{"handlers": {"diagnose": {"command": ["\#(padded)"], "max_output_kib": \#(bad)}}}"#)
            let result = try Remedy.run(["loop", "run", "--ledger", ledger, "--config", config])
            XCTAssertEqual(result.status, 2, result.stderr)
            XCTAssertTrue(result.stderr.contains("\"handlers.diagnose.max_output_kib\" must be from 1 to 65536"), result.stderr)
        }
    }

    func testLyingAndDecliningHandlersAreRecordedNotTrusted() throws {
        XCTAssertEqual(try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "s", "--run", "1", report("fail.xml", cases)]).status, 0)
        let answers = [
            ("not json", "bad-output", "retry"),
            (#"{"lever": "magic", "target": "x"}"#, "bad-output", "retry"),
            (#"{"lever": "code", "target": "x", "confidence": 7}"#, "bad-output", "retry"),
        ]
        for (index, (answer, failure, result)) in answers.enumerated() {
            let lying = handler("diagnose-\(index).sh", "cat > /dev/null; echo '\(answer)'")
            let steps = try loopRun(config(["diagnose": lying], extra: #""max_attempts": 9, "backoff_s": 0"#)).children("steps")
            XCTAssertEqual(steps.first?.string("failure"), failure, answer)
            XCTAssertEqual(steps.first?.string("result"), result, answer)
        }
        let huge = handler("diagnose-huge.sh", "cat > /dev/null; head -c 2000000 /dev/zero | tr '\\\\0' x")
        XCTAssertEqual(try loopRun(config(["diagnose": huge], extra: #""max_attempts": 9, "backoff_s": 0"#)).children("steps").first?.string("failure"), "too-large")
        let missing = try loopRun(config(["diagnose": folder.file("no-such-handler")], extra: #""max_attempts": 9, "backoff_s": 0"#)).children("steps")
        XCTAssertEqual(missing.first?.string("failure"), "unavailable")
        XCTAssertEqual(try events("DiagnosisRecorded").count, 0, "nothing a lying handler said was recorded")

        let declining = handler("diagnose-decline.sh", #"cat > /dev/null; echo '{"decline": "needs a domain expert"}'"#)
        let declined = try loopRun(config(["diagnose": declining], extra: #""max_attempts": 9, "backoff_s": 0"#)).children("steps")
        XCTAssertEqual(declined.first?.string("result"), "escalated")
        XCTAssertEqual(declined.first?.string("failure"), "declined")
        XCTAssertEqual(declined.first?.string("detail"), "needs a domain expert")
        XCTAssertEqual(try Remedy.run(["verify", "--ledger", ledger]).status, 0)
    }

    func testAFixReTargetedAwayFromItsDiagnosisGoesToAPerson() throws {
        // A lint fix would merge itself, but the fixer moved it to another target.
        XCTAssertEqual(try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "s", "--run", "1", "--kind", "lint",
                                       report("fail.xml", [("src.forecast::E501", false), ("forecast::ok", true)])]).status, 0)
        var handlers = handlers(passing: [("src.forecast::E501", true), ("forecast::ok", true)])
        handlers["propose"] = handler("propose.sh", #"cat > /dev/null; echo '{"fix": "helpers", "change": "b", "targets": ["formatting-helpers"], "blast_radius": "low"}'"#)
        let steps = try loopRun(config(handlers)).children("steps")
        let gate = try XCTUnwrap(steps.first { $0.string("step") == "gate" })
        XCTAssertEqual(gate.string("detail"), "gate: review (a fix re-targeted away from its diagnosis needs a person)")
        XCTAssertEqual(try events("FixMerged").count, 0)
        XCTAssertTrue(try events("GateDecided")[0].contains(#""retargeted":"true""#))
    }

    func testTheGateWeighsTheMeasuredBlastRadiusNotOnlyTheDeclaredOne() throws {
        // Two type errors; the fix for the first, declared low, also changes the second.
        let failing = [("src.types::T1", false), ("src.types::T2", false), ("forecast::ok", true)]
        let passing = [("src.types::T1", true), ("src.types::T2", true), ("forecast::ok", true)]
        XCTAssertEqual(try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "s", "--run", "1", "--kind", "type",
                                       report("fail.xml", failing)]).status, 0)
        let steps = try loopRun(config(handlers(passing: passing)), ["--item", "failure-1"]).children("steps")
        let gate = try XCTUnwrap(steps.first { $0.string("step") == "gate" })
        XCTAssertEqual(gate.string("detail"), "gate: review (other type fixes need review)")
        let facts = try XCTUnwrap(try events("GateDecided").first)
        for fact in [#""blast_radius":"medium""#, #""declared_blast_radius":"low""#, #""measured_blast_radius":"medium""#, #""cases_changed":"1""#,
                     #""skills_touched":"0""#] {
            XCTAssertTrue(facts.contains(fact), "\(fact) in \(facts)")
        }
    }

    func testCaseAndNextShowWhatAFailingCaseExpectedGotAndPrinted() throws {
        XCTAssertEqual(try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "s", "--run", "1", report("fail.xml", cases)]).status, 0)
        let failing = try JSONLine(try Remedy.run(["case", "alerts.danger::level-5-triggers", "--ledger", ledger, "--json"]).stdout)
        let evidence = try XCTUnwrap(failing.children("evidence").first)
        XCTAssertEqual(evidence.string("message"), "expected 5, got 4")
        XCTAssertEqual(evidence.string("output"), "--- failure ---\ntrace-7")
        XCTAssertTrue(evidence.isNull("expected") && evidence.isNull("output_sha256"))
        XCTAssertEqual(try JSONLine(try Remedy.run(["case", "forecast::ok", "--ledger", ledger, "--json"]).stdout).children("evidence").count, 0)
        let next = try JSONLine(try Remedy.run(["next", "--ledger", ledger, "--json"]).stdout)
        XCTAssertEqual(next.children("items").first?.children("evidence").first?.string("output"), "--- failure ---\ntrace-7")
        // The diagnose handler gets the same attempts.
        let diagnose = handler("diagnose.sh", #"cat > diagnose-input.json; echo '{"decline": "just looking"}'"#)
        _ = try loopRun(config(["diagnose": diagnose]))
        let input = try JSONLine(String(contentsOfFile: folder.file("diagnose-input.json"), encoding: .utf8))
        XCTAssertEqual(input.children("attempts").first?.string("output"), "--- failure ---\ntrace-7")
    }

    func testLoopStepsAppendedByHandAreCheckedLikeTheLoopsOwn() throws {
        XCTAssertEqual(try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "s", "--run", "1", report("fail.xml", cases)]).status, 0)
        func append(_ data: String) throws -> Remedy.Output {
            try Remedy.run(["append", "--ledger", ledger, "--stream", "loop-failure-1", "--type", "LoopStepStarted", "--data", data])
        }
        let lease = #""item":"failure-1","attempt":1,"holder":"h:1","started_at":"2026-12-02T09:00:00.000Z","expires_at":"2026-12-02T09:11:00.000Z""#
        XCTAssertEqual(try append("{" + lease + #","step":"triage"}"#).status, 2, "not a loop step")
        let wrongStep = try append("{" + lease + #","step":"merge"}"#)
        XCTAssertEqual(wrongStep.status, 8)
        XCTAssertTrue(wrongStep.stderr.contains("is not at step merge"), wrongStep.stderr)
        XCTAssertEqual(try append("{" + lease + #","step":"diagnose"}"#).status, 0)
        // Held: another start before the lease expires is refused; an end that matches is not.
        XCTAssertEqual(try append("{" + lease.replacingOccurrences(of: "h:1", with: "h:2") + #","step":"diagnose"}"#).status, 8)
        let end = try Remedy.run(["append", "--ledger", ledger, "--stream", "loop-failure-1", "--type", "LoopStepEnded",
                                  "--data", #"{"item":"failure-1","step":"diagnose","attempt":1,"result":"retry","failure":"timeout","retry_at":"2026-12-02T09:12:00.000Z"}"#])
        XCTAssertEqual(end.status, 0, end.stderr)
        XCTAssertEqual(try Remedy.run(["verify", "--ledger", ledger]).status, 0)
    }

    func testAProposalTheLoopRefusesIsRecordedAsRefused() throws {
        XCTAssertEqual(try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "s", "--run", "1", report("fail.xml", cases)]).status, 0)
        XCTAssertEqual(try Remedy.run(["diagnose", "failure-1", "--lever", "code", "--target", "alerts.engine", "--by", "dana", "--ledger", ledger]).status, 0)
        let bad = handler("propose.sh", #"cat > /dev/null; echo '{"fix": "bad fix id with spaces", "change": "b", "blast_radius": "low"}'"#)
        let steps = try loopRun(config(["propose": bad], extra: #""backoff_s": 0"#)).children("steps")
        XCTAssertEqual(steps.first?.string("failure"), "refused")
        XCTAssertTrue(steps.first?.string("detail")?.contains("cannot name a stream") == true, steps.first?.string("detail") ?? "")
        XCTAssertEqual(try events("FixProposed").count, 0)
    }

    func testAKilledLoopRunResumesWithoutRepeatingARecordedStep() throws {
        XCTAssertEqual(try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "s", "--run", "1", report("fail.xml", cases)]).status, 0)
        // The first try hangs; once the flag file exists, the handler answers at once.
        let slow = handler("diagnose.sh", #"cat > /dev/null; if [ ! -e resume ]; then echo $$ > handler.pid; touch started; sleep 60; fi; echo '{"lever": "code", "target": "alerts.engine"}'"#)
        let config = config(["diagnose": slow])
        let (process, _) = try Remedy.start(["loop", "run", "--ledger", ledger, "--config", config], directory: folder.path)
        var waited = 0
        while !FileManager.default.fileExists(atPath: folder.file("started")) && waited < 200 { usleep(50_000); waited += 1 }
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.file("started")))
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // The orphaned handler leads a process group of its own: end it, sleep and all.
        if let pid = Int32((try? String(contentsOfFile: folder.file("handler.pid"), encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") {
            kill(-pid, SIGKILL)
        }
        XCTAssertEqual(try events("LoopStepStarted").count, 1)

        FileManager.default.createFile(atPath: folder.file("resume"), contents: nil)
        let resumed = try loopRun(config).children("steps")
        XCTAssertEqual(resumed.first.map { "\($0.int("attempt") ?? 0) \($0.string("result") ?? "")" }, "2 done")
        XCTAssertEqual(try events("DiagnosisRecorded").count, 1)
        XCTAssertEqual(try events("LoopStepEnded").filter { $0.contains(#""failure":"abandoned""#) }.count, 1)
        // Run again: the recorded diagnosis is not repeated.
        _ = try loopRun(config)
        XCTAssertEqual(try events("DiagnosisRecorded").count, 1)
        XCTAssertEqual(try Remedy.run(["verify", "--ledger", ledger]).status, 0)
    }

    func testTwoLoopRunsNeverTakeOneItem() throws {
        let many = (1...6).map { ("suite.case::c\($0)", false) }
        XCTAssertEqual(try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "s", "--run", "1", report("fail.xml", many)]).status, 0)
        let logging = handler("diagnose.sh", #"cat > /dev/null; echo "$REMEDY_ITEM" >> handled.log; sleep 0.3; echo '{"lever": "code", "target": "t"}'"#)
        let config = config(["diagnose": logging])
        let runs = try (0..<2).map { _ in try Remedy.start(["loop", "run", "--ledger", ledger, "--config", config], directory: folder.path).0 }
        for process in runs { process.waitUntilExit() }
        XCTAssertEqual(runs.map(\.terminationStatus), [0, 0])
        let handled = try String(contentsOfFile: folder.file("handled.log"), encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(handled.sorted(), (1...6).map { "failure-\($0)" }.sorted(), "each item handled exactly once")
        XCTAssertEqual(try events("DiagnosisRecorded").count, 6)
    }

    func testADryRunRecordsNothingAndConfigsAreChecked() throws {
        XCTAssertEqual(try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "s", "--run", "1", report("fail.xml", cases)]).status, 0)
        let before = try Remedy.run(["events", "--ledger", ledger]).stdoutLines.count
        let dry = try loopRun(config(standardHandlers), ["--dry-run"])
        XCTAssertEqual(dry.bool("dry_run"), true)
        XCTAssertEqual(dry.children("steps").first?.string("result"), "would-run")
        XCTAssertEqual(try Remedy.run(["events", "--ledger", ledger]).stdoutLines.count, before)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("diagnose-input.json")), "no handler ran")

        for (text, message) in [
            (#"{"handlers": {"triage": {"command": ["x"]}}}"#, #"unknown handler "triage""#),
            (#"{"handlers": {"diagnose": {"command": ["x"], "timeout": 5}}}"#, #"unknown field "timeout""#),
            (#"{"handlers": {"diagnose": {"command": []}}}"#, "handlers.diagnose.command"),
            (#"{"diagnosis_rules": [{"when": {"kind": "lint"}, "lever": "magic", "target": "{case}"}]}"#, "lever"),
            (#"{"max_attempts": 0}"#, "max_attempts"),
        ] {
            let bad = folder.write("bad.json", text)
            let result = try Remedy.run(["loop", "run", "--ledger", ledger, "--config", bad])
            XCTAssertEqual(result.status, 2, text)
            XCTAssertTrue(result.stderr.contains(message) && result.stderr.contains("bad.json"), result.stderr)
        }
        XCTAssertEqual(try Remedy.run(["events", "--ledger", ledger]).stdoutLines.count, before)
    }

    /// The repository, found from this file's path.
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testTheDemoPlaysTheStoryWithTheLoopAndTheExampleHandlers() throws {
        let result = try Remedy.run(["demo", "--loop"])
        XCTAssertEqual(result.status, 0, result.stderr)
        for line in [
            "failure-1 diagnose done: diagnosed skill date-normalizer",
            "date-normalizer gate decided: gate: auto-merge (reversible, low-risk skill refinements verified clean merge themselves)",
            "date-normalizer merge done: merged at",
            "danger-threshold gate decided: gate: review (high-stakes targets need a person)",
            "danger-threshold review done: review requested at file://",
            "danger-threshold waits for a person's review",
            "## Fix danger-threshold",
            "regression  failure-3",
            "verified 70 events",
        ] {
            XCTAssertTrue(result.stdout.contains(line), "missing: \(line)\n\(result.stdout)")
        }
    }

    func testTheDemoRunsTheExampleHandlersAsShippedAndTheirConfigLoads() throws {
        for handler in ExampleHandlers.all {
            let path = Self.root.appendingPathComponent("examples/loop/\(handler.file)").path
            XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), handler.text + "\n", "\(handler.file) differs from the demo's copy")
            XCTAssertEqual(access(path, X_OK), 0, "\(handler.file) is executable")
        }
        let text = try String(contentsOfFile: Self.root.appendingPathComponent("examples/loop/loop.json").path, encoding: .utf8)
        let config = try LoopConfig(text: text, name: "examples/loop/loop.json")
        XCTAssertEqual(Set(config.handlers.keys.map(\.rawValue)), ["diagnose", "propose", "verify", "merge", "review"])
        for handler in config.handlers.values {
            XCTAssertTrue(FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(handler.command[0]).path), handler.command[0])
        }
        XCTAssertEqual(config.attempts(for: .diagnose), 3)
        XCTAssertEqual(config.diagnosisRules.map(\.lever.rawValue), ["code", "code"])
    }
}
