import Foundation
import XCTest
import RemediationLoop
import DemoStory

/// The loop's commands as CI and people call them.
final class LoopCLITests: XCTestCase {
    private static let reports = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("IngestTests/Fixtures/reports")

    private let folder = TemporaryFolder()

    /// One of the demo story's reports, written to a file.
    private func report(_ name: String) -> String {
        folder.write(name + ".xml", AvalancheStory.reports.first { $0.name == name }!.xml)
    }

    func testIngestPrintsTheCountsAndDetectionsAsJSON() throws {
        let folder = TemporaryFolder()
        let ledger = folder.file("l.db")
        let result = try Remedy.run(["ingest", "--init", Self.reports.appendingPathComponent("gen-pytest-9.2.0-xunit2-dateutil.xml").path,
                                     "--suite", "dateutil", "--run", "81", "--commit", "4f2c9e1", "--json", "--ledger", ledger])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(object["tests"] as? Int, 26)
        XCTAssertEqual(object["failures"] as? Int, 5)
        XCTAssertEqual(object["errors"] as? Int, 3)
        XCTAssertEqual(object["skipped"] as? Int, 4)
        XCTAssertEqual(object["new_failures"] as? Int, (object["new_failure_ids"] as? [String])?.count)
        for field in ["still_failing", "fixed", "regressions", "flaky"] { XCTAssertNotNil(object[field] as? Int, field) }
        XCTAssertEqual(object["recorded"] as? Bool, true)

        let again = try Remedy.run(["ingest", "--init", Self.reports.appendingPathComponent("gen-pytest-9.2.0-xunit2-dateutil.xml").path,
                                    "--suite", "dateutil", "--run", "81", "--json", "--ledger", ledger])
        XCTAssertEqual(again.status, 0)
        XCTAssertTrue(again.stdout.contains(#""recorded":false"#))
        let againJSON = try JSONLine(again.stdout)
        XCTAssertEqual([againJSON.int("tests"), againJSON.int("failures"), againJSON.int("errors"), againJSON.int("skipped")], [26, 5, 3, 4])
        XCTAssertEqual(againJSON.children("new_failure_cases").first?.string("case"), "test_dateutil_holdout::test_fails_and_teardown_errors")
        XCTAssertTrue(againJSON.isNull("verification"))
    }

    /// A run that detects more failures than an ingest keeps in memory (their ids and keys go
    /// to a temporary file past 1 MiB): `--json` still lists every one, in order, with its
    /// case, written as it is read; the text lists 20 and says how many more.
    func testIngestListsEveryNewFailureOfALargeRun() throws {
        let count = 12_000
        let keyPadding = String(repeating: "x", count: 80)
        let cases = (0..<count).map { #"<testcase classname="pkg.Area\#($0 % 7)" name="test_\#(keyPadding)_\#($0)"><failure message="no"/></testcase>"# }
        let path = folder.write("large.xml", "<testsuite name=\"s\">\n" + cases.joined(separator: "\n") + "\n</testsuite>")
        let ledger = folder.file("l.db")
        let result = try Remedy.run(["ingest", "--init", path, "--suite", "s", "--run", "1", "--json", "--ledger", ledger])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let ids = try XCTUnwrap(object["new_failure_ids"] as? [String])
        let pairs = try XCTUnwrap(object["new_failure_cases"] as? [[String: String]])
        XCTAssertEqual(object["new_failures"] as? Int, count)
        XCTAssertEqual(ids, (1...count).map { "failure-\($0)" })
        XCTAssertEqual(pairs.map { $0["failure"] }, ids)
        let keys = (0..<count).map { "pkg.Area\($0 % 7)::test_\(keyPadding)_\($0)" }.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        XCTAssertEqual(pairs.map { $0["case"] ?? "" }, keys)
        XCTAssertEqual(result.stdout.filter { $0 == "\n" }.count, 1, "one line")

        let again = try Remedy.run(["ingest", path, "--suite", "s", "--run", "1", "--ledger", ledger])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("  failure-20    \(keys[19])\n"), again.stdout)
        XCTAssertFalse(again.stdout.contains("failure-21 "))
        XCTAssertTrue(again.stdout.contains("... and \(count - 20) more new failures (--json lists them all)"))

        // The next run passes every case: the fixed ids are listed 20 on their line too.
        let passing = folder.write("passing.xml", "<testsuite name=\"s\">\n" + cases.map { $0.replacingOccurrences(of: #"<failure message="no"/>"#, with: "") }.joined(separator: "\n") + "\n</testsuite>")
        let fixed = try Remedy.run(["ingest", passing, "--suite", "s", "--run", "2", "--ledger", ledger])
        XCTAssertEqual(fixed.status, 0, fixed.stderr)
        let fixedLine = try XCTUnwrap(fixed.stdout.split(separator: "\n").first { $0.hasPrefix("fixed") })
        XCTAssertTrue(fixedLine.hasSuffix("failure-20, ... and \(count - 20) more (--json lists them all)"), String(fixedLine))
        XCTAssertTrue(fixedLine.contains("failure-1, failure-2, "))
    }

    /// The repository's `.remedy/skills` maps cases to skills unless the report names them.
    func testACIReRunIsAnotherAttemptNotAConflict() throws {
        let ledger = folder.file("l.db")
        let failing = folder.write("fail.xml", #"<testsuite name="s" tests="2"><testcase classname="a" name="b"><failure message="m"/></testcase><testcase classname="a" name="c"/></testsuite>"#)
        let passing = folder.write("pass.xml", #"<testsuite name="s" tests="2"><testcase classname="a" name="b"/><testcase classname="a" name="c"/></testsuite>"#)
        XCTAssertEqual(try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "s", "--run", "81", "--attempt", "1", failing]).status, 0)
        XCTAssertEqual(try Remedy.run(["ingest", "--ledger", ledger, "--suite", "s", "--run", "81", passing]).status, 4, "the same run id from other reports is a conflict")
        let rerun = try Remedy.run(["ingest", "--ledger", ledger, "--suite", "s", "--run", "81", "--attempt", "2", passing, "--json"])
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        let summary = try JSONLine(rerun.stdout)
        XCTAssertEqual(summary.string("run"), "81/attempt-2")
        XCTAssertEqual(summary.int("fixed"), 1)
        // The same re-run again records nothing; its ratchet is checked by attempt.
        XCTAssertEqual(try JSONLine(try Remedy.run(["ingest", "--ledger", ledger, "--suite", "s", "--run", "81", "--attempt", "2", passing, "--json"]).stdout).bool("recorded"), false)
        XCTAssertEqual(try Remedy.run(["ratchet", "check", "--ledger", ledger, "--run", "81", "--attempt", "2"]).status, 0)
        XCTAssertEqual(try Remedy.run(["ingest", "--ledger", ledger, "--suite", "s", "--run", "81", "--attempt", "0", passing]).status, 64)
    }

    func testTheDefaultSkillMapIsUsed() throws {
        let work = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: work.file(".remedy"), withIntermediateDirectories: true)
        _ = work.write(".remedy/skills", "# glob  skill\n*::*  everything\nNUnit.Tests.Assemblies.*  nunit-fixtures\n")
        let nunit = Self.reports.appendingPathComponent("nunit-to-junit-teamcity-2009.xml").path
        XCTAssertEqual(try Remedy.run(["ingest", "--init", nunit, "--suite", "s", "--run", "1"], directory: work.path).status, 0)
        let outcomes = try Remedy.run(["events", "--type", "CaseOutcomeRecorded"], directory: work.path).stdoutLines
        XCTAssertEqual(outcomes.count, 5)
        XCTAssertTrue(outcomes.allSatisfy { $0.contains(#""skill":"nunit-fixtures""#) || $0.contains(#""skill":"everything""#) }, outcomes.joined(separator: "\n"))
        XCTAssertTrue(outcomes.contains { $0.contains(#""skill":"nunit-fixtures""#) })
    }

    /// `remedy skills adopt` re-attributes history: health shows each case under one skill.
    func testAdoptingASkillMapReattributesHistory() throws {
        let work = TemporaryFolder()
        try FileManager.default.createDirectory(atPath: work.file(".remedy"), withIntermediateDirectories: true)
        _ = work.write(".remedy/skills", "forecast.*  forecasting\n")
        let ledger = ["--ledger", work.file(".remedy/ledger.db")]
        let run = work.write("run.xml", #"<testsuite name="s"><testcase classname="forecast.bulletins" name="dates"><failure message="m"/></testcase>"#
                             + #"<testcase classname="forecast.maps" name="tiles"/></testsuite>"#)
        XCTAssertEqual(try Remedy.run(["ingest", "--init", run, "--suite", "s", "--run", "1"] + ledger, directory: work.path).status, 0)
        // The map changes: the bulletins get a skill of their own, and the next run counts them there.
        let map = work.write(".remedy/skills", "forecast.*  forecasting\nforecast.bulletins::*  date-normalizer\n")
        XCTAssertEqual(try Remedy.run(["ingest", run, "--suite", "s", "--run", "2"] + ledger, directory: work.path).status, 0)
        func skills() throws -> [String: Int] {
            let health = try Remedy.run(["health", "--json"] + ledger, directory: work.path)
            XCTAssertEqual(health.status, 0, health.stderr)
            let object = try JSONSerialization.jsonObject(with: Data(health.stdout.utf8)) as! [String: Any]
            return Dictionary(uniqueKeysWithValues: (object["skills"] as! [[String: Any]]).map { ($0["skill"] as! String, $0["runs"] as! Int) })
        }
        XCTAssertEqual(try skills()["forecasting"], 2)
        XCTAssertEqual(try skills()["date-normalizer"], 1, "before the adoption, the bulletins count under two skills")

        let adopt = try Remedy.run(["skills", "adopt", map, "--by", "dana", "--json"] + ledger, directory: work.path)
        XCTAssertEqual(adopt.status, 0, adopt.stderr)
        XCTAssertEqual(try JSONLine(adopt.stdout).bool("adopted"), true)
        XCTAssertEqual(try JSONLine(adopt.stdout).int("rules"), 2)
        XCTAssertEqual(try skills(), ["forecasting": 2, "date-normalizer": 2], "both runs of the bulletins count under their new skill")
        let again = try Remedy.run(["skills", "adopt", map] + ledger, directory: work.path)
        XCTAssertEqual(again.status, 0)
        XCTAssertTrue(again.stdout.contains("in force already"), again.stdout)
        let shown = try Remedy.run(["skills", "show", "--json"] + ledger, directory: work.path)
        XCTAssertEqual(try JSONLine(shown.stdout).string("adopted_by"), "dana")
        XCTAssertEqual(try Remedy.run(["skills", "show"] + ledger, directory: work.path).stdout, "forecast.*  forecasting\nforecast.bulletins::*  date-normalizer\n")

        // A map that does not parse is refused with its line, and nothing is written.
        let before = try Remedy.run(["events"] + ledger, directory: work.path).stdout
        let bad = try Remedy.run(["skills", "adopt", work.write("bad", "ok  fine\nforecast.* two skills\n")] + ledger, directory: work.path)
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("line 2: expected 'glob  skill', found 3 fields"), bad.stderr)
        XCTAssertEqual(try Remedy.run(["events"] + ledger, directory: work.path).stdout, before)
        let empty = try Remedy.run(["skills", "show", "--json", "--ledger", work.file("empty.db")], directory: work.path)
        XCTAssertNotEqual(empty.status, 0, "no ledger there")
    }

    func testIngestRefusalsExitWithTheirCodesAndWriteNothing() throws {
        let folder = TemporaryFolder()
        let ledger = folder.file("l.db")
        XCTAssertEqual(try Remedy.run(["ingest", "--init", report("run-1"), "--suite", "s", "--run", "1", "--ledger", ledger]).status, 0)
        let before = try Remedy.run(["events", "--ledger", ledger]).stdout
        let cases: [([String], Int32, String)] = [
            ([Self.reports.appendingPathComponent("bad/xml-bomb-billion-laughs.xml").path, "--suite", "s", "--run", "2"], 2, "DOCTYPE"),
            ([report("run-2"), Self.reports.appendingPathComponent("bad/empty.xml").path, "--suite", "s", "--run", "2"], 2, "the report is empty"),
            ([report("run-2"), "--suite", "s", "--run", "1"], 4, "already recorded from different reports"),
            ([report("run-2"), "--suite", "s", "--run", "2", "--verifies", "nope"], 8, "no fix 'nope'"),
            ([report("run-2"), "--suite", "has space", "--run", "2"], 2, "cannot name a stream"),
            ([Self.reports.deletingLastPathComponent().appendingPathComponent("eval/bad-deflate-bomb.eval").path, "--suite", "s", "--run", "2"], 2, "deflate bomb"),
        ]
        for (arguments, status, fragment) in cases {
            let result = try Remedy.run(["ingest", "--init"] + arguments + ["--ledger", ledger])
            XCTAssertEqual(result.status, status, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stderr.hasPrefix("remedy: error: ") && result.stderr.contains(fragment), result.stderr)
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1)
        }
        // A word outside a closed set is refused while parsing, naming the words it may be.
        let kind = try Remedy.run(["ingest", "--init", report("run-2"), "--suite", "s", "--run", "2", "--kind", "vibes", "--ledger", ledger])
        XCTAssertEqual(kind.status, 64, kind.stderr)
        XCTAssertTrue(kind.stderr.contains("The value 'vibes' is invalid for '--kind <kind>'. Please provide one of 'lint', 'type', 'test' or 'eval'."), kind.stderr)
        XCTAssertEqual(try Remedy.run(["events", "--ledger", ledger]).stdout, before)
    }

    func testTheLoopStepsAndTheQueue() throws {
        let folder = TemporaryFolder()
        let ledger = ["--ledger", folder.file("l.db")]
        XCTAssertEqual(try Remedy.run(["ingest", "--init", report("run-1"), "--suite", "avalanche-golden", "--run", "1"] + ledger).status, 0)
        XCTAssertTrue(try Remedy.run(["next"] + ledger).stdout.hasPrefix("diagnose          failure-1"))
        let refused = try Remedy.run(["propose", "failure-1", "--fix", "f", "--change", "c", "--blast-radius", "low", "--by", "agent:x"] + ledger)
        XCTAssertEqual(refused.status, 8)
        XCTAssertTrue(refused.stderr.contains("has no diagnosis"), refused.stderr)
        let diagnose = ["diagnose", "failure-1", "--lever", "skill", "--target", "date-normalizer", "--by", "agent:triage"] + ledger
        XCTAssertEqual(try Remedy.run(diagnose).status, 0)
        // CI retries: the same diagnosis and proposal again record nothing; an agent's different one is a conflict.
        XCTAssertEqual(try Remedy.run(diagnose).status, 0)
        let contradicting = try Remedy.run(["diagnose", "failure-1", "--lever", "code", "--target", "parser", "--by", "agent:other"] + ledger)
        XCTAssertEqual(contradicting.status, 4)
        XCTAssertTrue(contradicting.stderr.contains("diagnosed already (skill date-normalizer by agent:triage)"), contradicting.stderr)
        XCTAssertEqual(try Remedy.run(["events", "--type", "DiagnosisRecorded"] + ledger).stdoutLines.count, 1)
        let propose = ["propose", "failure-1", "--fix", "f", "--change", "c", "--blast-radius", "low", "--by", "agent:x"] + ledger
        XCTAssertEqual(try Remedy.run(propose).status, 0)
        XCTAssertEqual(try Remedy.run(propose).status, 0)
        XCTAssertEqual(try Remedy.run(["propose", "failure-1", "--fix", "f", "--change", "other", "--blast-radius", "low", "--by", "agent:x"] + ledger).status, 4)
        XCTAssertEqual(try Remedy.run(["events", "--type", "FixProposed"] + ledger).stdoutLines.count, 1)
        let queue = try Remedy.run(["next", "--json"] + ledger)
        let queueJSON = try JSONLine(queue.stdout)
        XCTAssertEqual(queueJSON.int("total"), 1)
        let item = try XCTUnwrap(queueJSON.children("items").first)
        XCTAssertEqual([item.string("kind"), item.string("subject"), item.string("skill")], ["verify", "f", "date-normalizer"])
        XCTAssertTrue(item.isNull("case"))
        XCTAssertEqual(item.strings("must_include")?.count, 5)
        XCTAssertEqual(try Remedy.run(["review", "f", "--approve", "--by", "agent:bot"] + ledger).status, 2)
        XCTAssertEqual(try Remedy.run(["review", "f", "--approve", "--reject", "--by", "dana"] + ledger).status, 64)
        XCTAssertEqual(try Remedy.run(["review", "f", "--approve", "--by", "dana", "--comment", "ok"] + ledger).status, 0)
        XCTAssertEqual(try Remedy.run(["merged", "f", "--commit", "8a3b7c2"] + ledger).stdout, "merged f at 8a3b7c2\n")
        XCTAssertEqual(try Remedy.run(["reverted", "f", "--reason", "broke the maps"] + ledger).status, 0)
        XCTAssertEqual(try Remedy.run(["reverted", "f", "--reason", "again"] + ledger).status, 8)
        XCTAssertEqual(try Remedy.run(["guard", "retire", "x::y", "--suite", "avalanche-golden", "--reason", "r", "--by", "dana"] + ledger).status, 8)
        XCTAssertEqual(try Remedy.run(["verify"] + ledger).status, 0)
    }
}

extension LoopCLITests {
    /// `remedy gate` tells CI what to do by its exit code; policies and what-if round it off.
    func testGateExitCodesPoliciesAndWhatIf() throws {
        let ledger = ["--ledger", folder.file("gate.db")]
        func run(_ arguments: [String]) throws -> Remedy.Output { try Remedy.run(arguments + ledger) }
        XCTAssertEqual(try run(["ingest", "--init", report("run-1"), "--suite", "avalanche-golden", "--run", "1", "--kind", "eval"]).status, 0)
        XCTAssertEqual(try run(["diagnose", "failure-1", "--lever", "skill", "--target", "date-normalizer", "--by", "agent:t"]).status, 0)
        XCTAssertEqual(try run(["propose", "failure-1", "--fix", "a", "--change", "c", "--blast-radius", "low", "--by", "agent:f"]).status, 0)
        // Not verified: the skill rule wants a clean verification, so it falls through to review (exit 10).
        let unverified = try run(["gate", "a", "--json"])
        XCTAssertEqual(unverified.status, 10, unverified.stderr)
        XCTAssertTrue(unverified.stdout.contains(#""decision":"review""#) && unverified.stdout.contains(#""rule":"anything else needs review""#), unverified.stdout)
        XCTAssertTrue(unverified.stdout.contains(#""verified":"false""#), "the facts are recorded")
        // The tree head names every event: the same head, nothing new (read models may change the file's size).
        func head() throws -> String { try run(["status", "--json"]).stdout.components(separatedBy: #""tree_head":"#)[1] }
        let before = try head()
        XCTAssertEqual(try run(["gate", "a"]).status, 10, "asked again: the same answer")
        XCTAssertEqual(try head(), before, "and nothing new recorded")

        XCTAssertEqual(try run(["propose", "failure-1", "--fix", "b", "--change", "c", "--blast-radius", "low", "--by", "agent:f"]).status, 0)
        XCTAssertEqual(try run(["ingest", "--init", report("verify-date-normalizer"), "--suite", "avalanche-golden", "--run", "v1", "--verifies", "b"]).status, 0)
        let clean = try run(["gate", "b"])
        XCTAssertEqual(clean.status, 0, clean.stderr)
        XCTAssertEqual(clean.stdout, "auto-merge: reversible, low-risk skill refinements verified clean merge themselves\n")

        let strict = folder.write("strict.json", #"{"rules": [{"name": "people decide", "when": {}, "decide": "review"}]}"#)
        let whatIf = try run(["what-if", "--policy", strict])
        XCTAssertEqual(whatIf.stdout, "b: auto-merge → review (people decide)\n")
        let bad = folder.write("bad.json", #"{"rules": [{"name": "r", "when": {"colour": []}, "decide": "review"}]}"#)
        let refused = try run(["policy", "adopt", bad])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("rule 1 (r): unknown condition \"colour\""), refused.stderr)
        XCTAssertEqual(try run(["policy", "adopt", strict, "--by", "dana"]).status, 0)
        XCTAssertTrue(try run(["policy", "show"]).stdout.contains("people decide"))
        let dataset = folder.write("golden.txt", "forecast.bulletins::slf-date-format\n# comment\nnot-run::yet\n")
        XCTAssertEqual(try run(["dataset", "declare", "--suite", "avalanche-golden", "--version", "2026.11", dataset]).status, 0)
        XCTAssertEqual(try run(["verify"]).status, 0)
    }
}

extension LoopCLITests {
    /// Guards, their provenance, and the ratchet check CI runs after each ingest.
    func testGuardsWhyAndTheRatchet() throws {
        let ledger = ["--ledger", folder.file("story.db")]
        XCTAssertEqual(try Remedy.run(["demo"] + ledger).status, 0)
        XCTAssertEqual(try Remedy.run(["guards", "--list"] + ledger).stdoutLines,
                       ["alerts.danger::rating-threshold-level-4", "forecast.bulletins::slf-date-format"])
        let json = try Remedy.run(["guards", "--json", "--suite", "avalanche-golden"] + ledger).stdout
        let slippedGuard = try XCTUnwrap(try JSONLine(json).children("guards").first { $0.string("case") == "forecast.bulletins::slf-date-format" })
        XCTAssertEqual([slippedGuard.string("state"), slippedGuard.string("since_run"), slippedGuard.string("failure"), slippedGuard.string("fix"),
                        slippedGuard.string("last_passing_run"), slippedGuard.string("slipped_failure")],
                       ["slipped", "2", "failure-1", "date-normalizer", "2", "failure-3"])
        XCTAssertTrue(slippedGuard.isNull("retired_reason") && slippedGuard.isNull("retired_by"))
        let provenance = try XCTUnwrap(slippedGuard.child("provenance"))
        XCTAssertEqual([provenance.string("detected_in_run"), provenance.string("diagnosis_lever"), provenance.string("diagnosis_target"),
                        provenance.string("verification_run"), provenance.string("gate_decision"), provenance.string("merge_commit"),
                        provenance.string("passed_in_run")], ["1", "skill", "date-normalizer", "v1", "auto-merge", "8a3b7c2", "2"])
        XCTAssertEqual(provenance.double("diagnosis_confidence"), 0.9, "a number")
        XCTAssertTrue(provenance.isNull("gate_invariant"))
        let whyJSON = try JSONLine(try Remedy.run(["why", "forecast.bulletins::slf-date-format", "--json"] + ledger).stdout)
        XCTAssertEqual(whyJSON.child("provenance")?.string("merge_commit"), "8a3b7c2")
        let why = try Remedy.run(["why", "forecast.bulletins::slf-date-format"] + ledger).stdout
        for line in ["failed     run 1 as failure-1", "diagnosed  skill date-normalizer by agent:triage", "gate       auto-merge",
                     "merged     commit 8a3b7c2", "passed     run 2: the case became a guard"] {
            XCTAssertTrue(why.contains(line), "\(why) lacks \(line)")
        }
        XCTAssertEqual(try Remedy.run(["why", "no::such"] + ledger).status, 8)
        XCTAssertEqual(try Remedy.run(["guards", "--as-of", "run:2"] + ledger).stdout,
                       "forecast.bulletins::slf-date-format         holding  since run 2     fix date-normalizer     last passed in run 2\n")
        XCTAssertEqual(try Remedy.run(["projections", "rebuild", "guards"] + ledger).stdout, "rebuilt guards: 5 events, through position 52\n")
        XCTAssertEqual(try Remedy.run(["projections", "rebuild", "nope"] + ledger).status, 2)
        let history = try Remedy.run(["ratchet", "--suite", "avalanche-golden"] + ledger).stdoutLines
        XCTAssertEqual(history.count, 4)
        XCTAssertEqual(history.last, "avalanche-golden    3         2       1     1      0.8000     1")
        let asOfRun2 = try Remedy.run(["ratchet", "--json", "--as-of", "run:2"] + ledger).stdout
        let run2 = try XCTUnwrap(try JSONLine(asOfRun2).children("runs").last)
        XCTAssertEqual(run2.string("run"), "2")
        XCTAssertEqual([run2.int("guards_total"), run2.int("guards_held"), run2.int("slips"), run2.int("tests"), run2.int("high_water"),
                        run2.int("ran"), run2.int("passed")], [1, 1, 0, 5, 1, 5, 4])
        XCTAssertEqual(run2.double("pass_rate"), 0.8, "a number")

        // As CI calls it: the run alone names its suite.
        let slipped = try Remedy.run(["ratchet", "check", "--run", "3"] + ledger)
        XCTAssertEqual(slipped.status, 12)
        XCTAssertEqual(slipped.stdout, "failed   forecast.bulletins::slf-date-format\n")
        let held = try Remedy.run(["ratchet", "check", "--suite", "avalanche-golden", "--run", "2", "--json"] + ledger)
        XCTAssertEqual(held.status, 0)
        XCTAssertEqual(held.stdout, #"{"failed":[],"guards":1,"holds":true,"missing":[],"quarantined_failing":[]}"# + "\n")
        XCTAssertEqual(try Remedy.run(["ratchet", "check", "--suite", "avalanche-golden", "--run", "9"] + ledger).status, 8)
        XCTAssertEqual(try Remedy.run(["ratchet", "check", "--run", "9"] + ledger).status, 8)

        // A run that leaves a guard out slips the ratchet too, until a person retires the guard.
        let partial = folder.write("partial.xml", """
            <testsuite name="avalanche-golden">
              <testcase classname="forecast.bulletins" name="slf-date-format"/>
            </testsuite>
            """)
        XCTAssertEqual(try Remedy.run(["ingest", "--init", partial, "--suite", "avalanche-golden", "--run", "4"] + ledger).status, 0)
        let missing = try Remedy.run(["ratchet", "check", "--suite", "avalanche-golden", "--run", "4"] + ledger)
        XCTAssertEqual(missing.status, 12)
        XCTAssertEqual(missing.stdout, "missing  alerts.danger::rating-threshold-level-4 (not run, not retired)\n")
        XCTAssertEqual(try Remedy.run(["guard", "retire", "alerts.danger::rating-threshold-level-4", "--suite", "avalanche-golden",
                                       "--reason", "alert redesigned", "--by", "dana@example.com"] + ledger).status, 0)
        XCTAssertEqual(try Remedy.run(["ingest", "--init", partial, "--suite", "avalanche-golden", "--run", "5"] + ledger).status, 0)
        XCTAssertEqual(try Remedy.run(["ratchet", "check", "--suite", "avalanche-golden", "--run", "5"] + ledger).status, 0)
        XCTAssertEqual(try Remedy.run(["ratchet", "check", "--suite", "avalanche-golden", "--run", "4"] + ledger).status, 12,
                       "run 4 is judged by the guards of its time")
    }
}

extension LoopCLITests {
    /// `next` narrowed by suite, skill and count; `ingest` names at most 20 new failures.
    func testOutputThatScales() throws {
        let ledger = ["--ledger", folder.file("scale.db")]
        XCTAssertEqual(try Remedy.run(["demo"] + ledger).status, 0)
        let regression = try Remedy.run(["next", "--skill", "date-normalizer"] + ledger).stdout
        XCTAssertTrue(regression.hasPrefix("regression        failure-3             avalanche-golden"), regression)
        XCTAssertEqual(try Remedy.run(["next", "--skill", "no-such-skill"] + ledger).stdout, "nothing to do\n")
        XCTAssertEqual(try Remedy.run(["next", "--suite", "no-such-suite"] + ledger).stdout, "nothing to do\n")
        XCTAssertEqual(try Remedy.run(["next", "--limit", "0"] + ledger).status, 64)

        // A run with 25 new failures: the text names 20, with their cases, and says how many more.
        let cases = (1...25).map { #"<testcase classname="wide" name="case\#($0)"><failure message="no"/></testcase>"# }.joined()
        let report = folder.write("wide.xml", #"<testsuite name="wide" tests="25">\#(cases)</testsuite>"#)
        let ingest = try Remedy.run(["ingest", "--init", report, "--suite", "wide", "--run", "1", "--ledger", folder.file("wide.db")])
        XCTAssertEqual(ingest.status, 0, ingest.stderr)
        let named = ingest.stdoutLines.filter { $0.hasPrefix("  failure-") }
        XCTAssertEqual(named.count, 20)
        XCTAssertTrue(named[0].hasSuffix("wide::case1"), named[0])
        XCTAssertTrue(ingest.stdout.contains("  ... and 5 more new failures (--json lists them all)"), ingest.stdout)
        let many = ["--ledger", folder.file("wide.db")]
        let limited = try JSONLine(try Remedy.run(["next", "--limit", "3", "--json"] + many).stdout)
        XCTAssertEqual(limited.int("total"), 25)
        XCTAssertEqual(limited.children("items").map { $0.string("subject") ?? "" }, ["failure-1", "failure-2", "failure-3"], "the oldest first")
        XCTAssertTrue(try Remedy.run(["next", "--limit", "3"] + many).stdout.hasSuffix("... and 22 more (--limit 25 lists them all)\n"))
    }
}

extension LoopCLITests {
    /// The analysts' views over the story: diff, regressions, stats.
    func testAnalystViews() throws {
        let ledger = ["--ledger", folder.file("views.db")]
        XCTAssertEqual(try Remedy.run(["demo"] + ledger).status, 0)
        let diff = try Remedy.run(["diff", "2", "3", "--suite", "avalanche-golden", "--json"] + ledger)
        XCTAssertEqual(diff.stdout, #"{"flaky":[],"guards_slipped":["forecast.bulletins::slf-date-format"],"newly_failing":["forecast.bulletins::slf-date-format"],"newly_passing":["alerts.danger::rating-threshold-level-4"],"only_in_a":[],"only_in_b":[]}"# + "\n")
        XCTAssertEqual(try Remedy.run(["diff", "2", "9", "--suite", "avalanche-golden"] + ledger).status, 8)
        XCTAssertEqual(try Remedy.run(["diff", "2", "3"] + ledger).stdout.components(separatedBy: "\n").first, "newly failing (1)", "the suite found from the run")
        let regressions = try Remedy.run(["regressions", "--json"] + ledger).stdout
        XCTAssertEqual(regressions, #"{"regressions":[{"case":"forecast.bulletins::slf-date-format","failure":"failure-3","first_bad_commit":"c0ffee1","first_bad_run":"3","last_good_commit":"8a3b7c2","last_good_run":"2","open":true,"suite":"avalanche-golden"}]}"# + "\n")
        XCTAssertTrue(try Remedy.run(["regressions", "--since", "run:3"] + ledger).stdout.hasPrefix("failure-3"), "run 3's own regression counts")
        XCTAssertEqual(try Remedy.run(["regressions", "--since", "2999-01-01"] + ledger).stdout, "no regressions\n")
        XCTAssertEqual(try Remedy.run(["regressions", "--since", "2000-01-01"] + ledger).stdout,
                       "failure-3   forecast.bulletins::slf-date-format         good run 2 (8a3b7c2), bad run 3 (c0ffee1)\n")
        let history = try Remedy.run(["case", "forecast.bulletins::slf-date-format"] + ledger).stdout
        let lines = history.split(separator: "\n").map(String.init)
        for (key, value) in [("status ", " regression"), ("first failing run ", " 3"), ("last passing run ", " 2"), ("  run 2 attempt 1", ": pass")] {
            XCTAssertTrue(lines.contains { $0.hasPrefix(key) && $0.hasSuffix(value) }, "\(history) lacks \(key)...\(value)")
        }
        XCTAssertTrue(try Remedy.run(["case", "forecast.bulletins::slf-date-format", "--json", "--as-of", "run:1"] + ledger).stdout
            .contains(#""status":"failing""#))
        XCTAssertEqual(try Remedy.run(["case", "no::such"] + ledger).status, 8)
        // The queue and the provenance as they stood after run 1 and run 2.
        XCTAssertTrue(try Remedy.run(["next", "--as-of", "run:1"] + ledger).stdout.hasPrefix("diagnose          failure-1"))
        XCTAssertTrue(try Remedy.run(["next", "--as-of", "run:3"] + ledger).stdout.hasPrefix("regression        failure-3"))
        XCTAssertEqual(try Remedy.run(["why", "forecast.bulletins::slf-date-format", "--as-of", "run:1"] + ledger).status, 8, "not a guard yet")
        XCTAssertTrue(try Remedy.run(["why", "forecast.bulletins::slf-date-format", "--as-of", "run:2"] + ledger).stdout.contains("holding"))
        let stats = try Remedy.run(["stats", "--json"] + ledger).stdout
        XCTAssertTrue(stats.hasPrefix(#"{"by_type":{"CaseOutcomeRecorded":25,"#), stats)
    }
}
