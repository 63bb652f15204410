import Foundation
import Testing
import Events
import Ingest
import LedgerStore
import Projections
@testable import RemediationLoop
@testable import ReadViews
import DemoStory
import PostgresStore

/// The avalanche-forecast story, step by step, against a real ledger file.
@Suite struct ScenarioTests {
    let folder: String
    let ledger: any EventStore
    let steps: LoopSteps
    /// Every read-model table as the live view showed it, at the positions the story looked.
    let snapshots = Snapshots()

    final class Snapshots {
        var taken: [(position: Int, tables: [[[RowValue]]])] = []
        /// The live tables right after each regular run was ingested, by run.
        var afterRun: [String: [[[RowValue]]]] = [:]
    }

    init() throws {
        try self.init(postgres: nil)
    }

    /// The story on a PostgreSQL ledger (a new schema) instead of a file.
    init(postgres location: PostgresLocation?) throws {
        folder = NSTemporaryDirectory() + "remedy-loop-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        ledger = try location.map { try PostgresLedger.open($0, create: .ifMissing()) }
            ?? Ledger.open(LedgerPath(path: folder + "/ledger.db"), mode: .readWrite, create: .ifMissing())
        steps = LoopSteps(ledger: ledger)
    }

    /// The story's reports, written where the ingester can read them.
    func report(_ name: String) throws -> String {
        let path = folder + "/" + name + ".xml"
        if !FileManager.default.fileExists(atPath: path) {
            try AvalancheStory.reports.first { $0.name == name }!.xml.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return path
    }

    func ingest(_ report: String, run: String, verifies: String? = nil) throws -> IngestSummary {
        var request = IngestRequest(files: [try self.report(report)], suite: "avalanche-golden", run: run)
        request.commit = "4f2c9e1"
        request.verifies = verifies
        let summary = try RunIngester.ingest(request, into: ledger)
        if verifies == nil && summary.recorded {
            snapshots.afterRun[run] = try tables(ReadModelView(ledger: ledger))
            // A retried CI step: the same run again records nothing and reports what it recorded.
            var again = try RunIngester.ingest(request, into: ledger)
            #expect(!again.recorded)
            again.recorded = true
            #expect(again == summary, "run \(run) ingested again")
        }
        return summary
    }

    /// The queue, live; it must equal the queue folded in memory as of now, and the live
    /// tables are kept to compare with `--as-of` answers at the end of the story.
    func queue() throws -> [QueueItem] {
        let now = Timestamp.now()
        let live = try NextQueue.items(ReadModelView(ledger: ledger), now: now)
        let position = try ledger.status().eventCount
        #expect(try NextQueue.items(ReadModelView(ledger: ledger, asOf: position), now: now) == live)
        snapshots.taken.append((position, try tables(ReadModelView(ledger: ledger))))
        // Decisions load the state from the working set and the case history: the same state as from every event.
        let (loaded, folded) = try ledger.loadedAndFolded()
        #expect(loaded == folded)
        return live
    }

    func tables(_ view: ReadModelView) throws -> [[[RowValue]]] {
        try ReadModels.all.flatMap { $0.tables }.map { try view.rows($0) }
    }

    @Test func theAvalancheStory() throws {
        // Run 1: a new golden case for one center's bulletins fails: its date format is misparsed.
        let first = try ingest("run-1", run: "1")
        #expect(first.recorded)
        #expect(first.counts == ReportCounts(tests: 5, failures: 1))
        #expect(try first.newFailures.ids() == ["failure-1"])
        #expect(first.stillFailing == 0 && first.fixed.isEmpty && first.regressions.isEmpty)
        #expect(try queue().map(\.kind) == [.diagnose])

        // Ingesting the same run again records nothing and reports the same.
        let before = try ledger.treeHead()
        let again = try ingest("run-1", run: "1")
        #expect(!again.recorded)
        #expect(try again.newFailures.ids() == ["failure-1"] && again.counts == first.counts)
        #expect(again.newFailures == first.newFailures && again.fixed == first.fixed && again.regressions == first.regressions)
        #expect(try ledger.treeHead() == before)
        // A different report for the same run is a conflict; nothing is written.
        #expect(throws: LoopError.self) { try ingest("run-2", run: "1") }
        #expect(try ledger.treeHead() == before)

        // An agent diagnoses the skill lever (by case key), proposes a fix, verifies it on the
        // whole golden set; the gate auto-merges under the default policy.
        let diagnosis = try steps.diagnose("forecast.bulletins::slf-date-format", lever: .skill, target: "date-normalizer",
                                           evidence: ["tr-run-1-slf-date"], confidence: "0.9", by: "agent:triage")
        #expect(diagnosis.failure == "failure-1")
        #expect(try queue().map(\.kind) == [.propose])
        let proposal = try steps.propose(failures: ["failure-1"], fix: "date-normalizer", change: "https://git.example/pr/7",
                                         blastRadius: .low, by: "agent:fixer")
        #expect(proposal.lever == .skill && proposal.target == "date-normalizer" && proposal.origin == .agent)
        let verify = try #require(try queue().first)
        #expect(verify.kind == .verify && verify.subject == "date-normalizer")
        #expect(verify.mustInclude.count == 5 && verify.mustInclude.contains("forecast.bulletins::slf-date-format"))
        let verification = try ingest("verify-date-normalizer", run: "v1", verifies: "date-normalizer")
        #expect(verification.newFailures.isEmpty, "a verification run detects nothing on main")
        let verified = try #require(verification.verification)
        #expect(verified.clean)
        #expect(verified.failToPass == ["forecast.bulletins::slf-date-format"])
        #expect(verified.goldenCases == 5 && verified.casesCovered == 5 && verified.datasetSource == .lastCompleteRun)
        #expect(try queue().map(\.kind) == [.gate])
        let autoMerge = try steps.gate(fix: "date-normalizer")
        #expect(autoMerge.decision == .autoMerge)
        #expect(autoMerge.rule == "reversible, low-risk skill refinements verified clean merge themselves")
        #expect(autoMerge.policySHA256 == DefaultPolicy.policy.sha256)
        #expect(autoMerge.facts["dataset_source"] == "last-complete-run")
        #expect(autoMerge.rulesConsidered.count == 7)
        #expect(autoMerge.facts["retargeted"] == "false")
        #expect(autoMerge.facts["skills_touched"] == "1" && autoMerge.facts["cases_changed"] == "0" && autoMerge.facts["measured_blast_radius"] == "low")
        #expect([(0, 1), (0, 2), (3, 1), (6, 1), (0, 3)].map { GateFacts.measuredRadius(changed: $0.0, skills: $0.1) } == [.low, .medium, .medium, .high, .high])
        try steps.merged(fix: "date-normalizer", commit: "8a3b7c2", by: "ci")

        // Run 2: the date case passes and becomes a guard; a danger-rating case fails.
        let second = try ingest("run-2", run: "2")
        #expect(second.fixed == ["failure-1"])
        #expect(try second.newFailures.ids() == ["failure-2"])
        try steps.diagnose("failure-2", lever: .threshold, target: "alerts.danger.new_snow_cm", by: "agent:triage")
        try steps.propose(failures: ["failure-2"], fix: "danger-threshold", change: "https://git.example/pr/8", blastRadius: .low, by: "agent:fixer")
        #expect(try ingest("verify-danger-threshold", run: "v2", verifies: "danger-threshold").verification?.clean == true)
        // Raising a danger-rating threshold is high-stakes: the gate queues it for a person.
        let review = try steps.gate(fix: "danger-threshold")
        #expect(review.decision == .review && review.rule == "high-stakes targets need a person")
        #expect(try queue().map(\.kind) == [.review])
        #expect(throws: LoopError.self) { try steps.merged(fix: "danger-threshold", commit: "9b4c8d3") }
        try steps.review(fix: "danger-threshold", approve: true, comment: "matches the forecasters' 60 cm", by: "dana@example.com")
        try steps.merged(fix: "danger-threshold", commit: "9b4c8d3", by: "dana@example.com")

        // Run 3: a later change breaks the guarded date case: a regression, first in the queue.
        let third = try ingest("run-3", run: "3")
        #expect(third.fixed == ["failure-2"])
        #expect(try third.newFailures.ids() == ["failure-3"])
        #expect(third.regressions == ["failure-3"])
        let top = try #require(try queue().first)
        #expect(top.kind == .regression && top.subject == "failure-3" && top.case == "forecast.bulletins::slf-date-format")

        // Under a stricter policy, the auto-merge would have gone to review.
        let strict = try AutonomyPolicy(text: #"{"rules": [{"name": "a person reviews everything", "when": {}, "decide": "review"}]}"#)
        let changes = try Gate.whatIf(strict, ledger: ledger)
        #expect(changes == [WhatIfChange(fix: "date-normalizer", recorded: .autoMerge,
                                         recordedRule: "reversible, low-risk skill refinements verified clean merge themselves",
                                         wouldBe: .review, wouldBeRule: "a person reviews everything")])
        // Replaying the ledger gives the same decisions.
        #expect(try Gate.whatIf(DefaultPolicy.policy, ledger: ledger).isEmpty)
        #expect(try ledger.verify().isValid)

        // Skill health at the end of the story: the status, and the rule that decided it.
        let health = try SkillHealth.read(from: ReadModelView(ledger: ledger))
        #expect(health.map { [$0.skill, $0.status.rawValue, $0.rule] } == [
            ["bulletin-parser", "healthy", "pass rate 1.0000 >= 0.95, no open regression"],
            ["danger-rating", "degraded", "pass rate 0.8333 < 0.95 over the last 10 runs"],
            ["date-normalizer", "failing", "1 open regression (a guard slipped)"],
        ])
        let dates = try #require(health.last)
        let counts: [Int] = [dates.row.guards, dates.row.fixesMerged, dates.row.diagnosedSkill, dates.row.openFailures,
                             dates.row.leverResolved, dates.row.leverMatched, dates.timesToFix]
        #expect(counts == [1, 1, 1, 1, 1, 1, 1])
        #expect(dates.levers.map { "\($0.lever) \($0.target)" } == ["skill date-normalizer"])
        // Time travel: every table, as of each point the story looked at, is what it was live.
        #expect(snapshots.taken.count >= 6)
        for snapshot in snapshots.taken {
            #expect(try tables(ReadModelView(ledger: ledger, asOf: snapshot.position)) == snapshot.tables, "as of \(snapshot.position)")
        }
        // And as of each run, by its name: the ratchet ends at that run, with that run's guards.
        let guardsAsOf: [String: [String]] = [
            "1": [],
            "2": ["forecast.bulletins::slf-date-format holding"],
            "3": ["alerts.danger::rating-threshold-level-4 holding", "forecast.bulletins::slf-date-format slipped"],
        ]
        for run in ["1", "2", "3"] {
            let view = ReadModelView(ledger: ledger, asOf: try ReadModels.position(asOf: "run:\(run)", in: ledger))
            // Every table (guards, ratchet, cases, health, queue, regressions) as it was live then.
            #expect(try tables(view) == snapshots.afterRun[run], "as of run \(run)")
            #expect(try view.rows(RatchetRunRow.self).last?.runID == run)
            #expect(try view.rows(GuardRow.self).map { "\($0.caseKey) \($0.state)" } == guardsAsOf[run], "as of run \(run)")
        }
    }

    /// Two regular runs of one suite open at once (a hand-written history): the case history
    /// cannot say which came first, so the loop folds every event instead, and still decides
    /// as the fold does.
    /// The same story, every check, on a PostgreSQL ledger.
    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func theAvalancheStoryOnPostgres() throws {
        try ScenarioTests(postgres: try PostgresTestServer.freshLocation()).theAvalancheStory()
    }

    /// Decisions an earlier remedy recorded under its default policy (which knew nothing of
    /// re-targeted fixes or measured radii) are still accepted when the history is appended
    /// again; a decision under today's default that leaves out facts that change it is not.
    @Test func decisionsUnderTheFirstDefaultPolicyStayValid() throws {
        _ = try ingest("run-1", run: "1")
        try steps.diagnose("failure-1", lever: .skill, target: "date-normalizer", by: "agent:triage")
        try steps.propose(failures: ["failure-1"], fix: "date-normalizer", change: "c", blastRadius: .low, target: "formatting-helpers", by: "agent:fixer")
        _ = try ingest("verify-date-normalizer", run: "v1", verifies: "date-normalizer")
        let current = try steps.gate(fix: "date-normalizer")   // decided, then replayed below into a second ledger
        #expect(current.decision == .review && current.facts["retargeted"] == "true")
        // What an earlier remedy recorded: no re-targeting, no measured radius.
        var facts = current.facts
        for later in ["retargeted", "declared_blast_radius", "measured_blast_radius", "cases_changed",
                      "skills_touched", "record_merges", "record_auto_merges", "record_reverts", "record_regressions"] { facts[later] = nil }

        func attempt(_ decided: GateDecided) throws {
            let other = try Ledger.open(LedgerPath(path: folder + "/replay-\(UUID().uuidString).db"), mode: .readWrite, create: .ifMissing())
            let replay = LoopSteps(ledger: other)
            var query = EventQuery()
            query.toPosition = try ledger.treeHead().size - 1   // everything but the decision
            for event in try ledger.events(query) {
                let envelope = try EventEnvelope(decoding: event.body)
                try replay.append(try ProposedEvent(stream: envelope.stream, type: envelope.type, json: envelope.data))
            }
            try replay.append(try ProposedEvent(stream: try LoopStreams.fix("date-normalizer"), type: try EventType("GateDecided"),
                                                json: try LoopPayload.encode(decided)))
        }
        let first = try #require(DefaultPolicy.earlier.first)
        let (rule, considered) = first.firstMatch(try #require(GateFacts(recorded: facts)))
        try attempt(GateDecided(fix: "date-normalizer", decision: .autoMerge, policySHA256: first.sha256, rule: try #require(rule).name,
                                rulesConsidered: considered, facts: facts))
        #expect(throws: LoopError.self) {
            try attempt(GateDecided(fix: "date-normalizer", decision: current.decision, policySHA256: current.policySHA256,
                                    rule: current.rule, rulesConsidered: current.rulesConsidered, facts: facts))
        }
    }

    @Test func twoOpenRunsOfOneSuiteFallBackToTheFullFold() throws {
        _ = try AvalancheStory.play(into: ledger, reportsFolder: folder)
        let suite = AvalancheStory.suite
        for run in ["4", "5"] {
            try steps.append(try ProposedEvent(stream: LoopStreams.run(suite: suite, run: run), type: EventType("EvalRunStarted"),
                                               json: Array(#"{"suite":"\#(suite)","run_id":"\#(run)","kind":"eval","format":"junit","reports":[]}"#.utf8)))
            try steps.append(try ProposedEvent(stream: LoopStreams.run(suite: suite, run: run), type: EventType("CaseOutcomeRecorded"),
                                               json: Array(#"{"case":"forecast.bulletins::caic-bulletin-sections","attempt":1,"status":"fail"}"#.utf8)))
            let (loaded, folded) = try ledger.loadedAndFolded()
            #expect(loaded == folded, "with run \(run) open")
        }
        let state = try ledger.loadedAndFolded().loaded
        #expect(state.runs.values.filter { $0.started.suite == suite && $0.completed == nil }.count == 2)
        #expect(state.cases[SuiteCase(suite: suite, key: "forecast.bulletins::caic-bulletin-sections")]?.lastRun == "3", "as of before both")
        // A step still checks against the whole state: run 4's outcomes stay open to more attempts.
        try steps.append(try ProposedEvent(stream: LoopStreams.run(suite: suite, run: "4"), type: EventType("CaseOutcomeRecorded"),
                                           json: Array(#"{"case":"forecast.bulletins::caic-bulletin-sections","attempt":2,"status":"pass"}"#.utf8)))
        #expect(try ledger.loadedAndFolded().loaded == (try LoopState.fold(ledger)))
    }

    /// A run appended by hand, event by event, is open between its events: the loop's state
    /// the commands fold reads its cases as of before it (the case history has moved on), and
    /// equals the fold of every event at each step.
    @Test func anOpenRunIsReadAsOfBeforeIt() throws {
        _ = try AvalancheStory.play(into: ledger, reportsFolder: folder)
        let suite = AvalancheStory.suite
        try steps.append(try ProposedEvent(stream: LoopStreams.run(suite: suite, run: "4"), type: EventType("EvalRunStarted"),
                                           json: Array(#"{"suite":"\#(suite)","run_id":"4","kind":"eval","format":"junit","reports":[]}"#.utf8)))
        for (key, status) in [("forecast.bulletins::caic-bulletin-sections", "fail"), ("alerts.danger::rating-threshold-level-4", "pass"),
                              ("brand.new::case", "fail")] {
            try steps.append(try ProposedEvent(stream: LoopStreams.run(suite: suite, run: "4"), type: EventType("CaseOutcomeRecorded"),
                                               json: Array(#"{"case":"\#(key)","attempt":1,"status":"\#(status)"}"#.utf8)))
            let (loaded, folded) = try ledger.loadedAndFolded()
            #expect(loaded == folded, "after \(key)")
        }
        let state = try ledger.loadedAndFolded().loaded
        let sections = try #require(state.cases[SuiteCase(suite: suite, key: "forecast.bulletins::caic-bulletin-sections")])
        #expect(sections.lastStatus == .pass && sections.lastRun == "3", "as of before run 4")
        #expect(state.cases[SuiteCase(suite: suite, key: "brand.new::case")] == nil, "no history before run 4")
        // The case history itself has moved on.
        let row = try #require(try ledger.rows(CaseRow.self).first { $0.caseKey == "forecast.bulletins::caic-bulletin-sections" })
        #expect(row.lastRun == "4" && row.lastResult == .fail && row.previousRun == "3" && row.previousResult == .pass)
    }

    /// The demo plays the same story and gets the same decisions.
    @Test func theDemoPlaysTheStory() throws {
        let played = try AvalancheStory.play(into: ledger, reportsFolder: folder)
        #expect(played.decisions.map(\.decision) == [.autoMerge, .review])
        #expect(played.steps.last == "ingest run 3: 5 cases, 1 failing; new failures [\"failure-3\"], fixed [\"failure-2\"], regressions [\"failure-3\"]")
        let state = try LoopState.fold(ledger)
        #expect(state.guards.keys.map(\.key).sorted() == ["alerts.danger::rating-threshold-level-4", "forecast.bulletins::slf-date-format"])
        #expect(try NextQueue.items(ReadModelView(ledger: ledger), now: Timestamp.now()).first?.kind == .regression)
    }

    @Test func stepsRefuseWhatTheStateDoesNotAllow() throws {
        _ = try ingest("run-1", run: "1")
        #expect(throws: LoopError.self) { try steps.diagnose("failure-9", lever: .skill, target: "x", by: "agent:a") }
        #expect(throws: EventError.self) { try Lever(parsing: "vibes") }
        #expect(throws: LoopError.self) { try steps.diagnose("failure-1", lever: .code, target: "x", confidence: "1.5", by: "agent:a") }
        #expect(throws: LoopError.self) { try steps.propose(failures: ["failure-1"], fix: "f1", change: "c", blastRadius: .low, by: "agent:a") }
        let proposed = try steps.propose(failures: ["failure-1"], fix: "f1", change: "c", blastRadius: .low, lever: .code, by: "agent:a")
        // The same proposal again (a retried CI step) is the one recorded; another under its id is a conflict.
        #expect(try steps.propose(failures: ["failure-1"], fix: "f1", change: "c", blastRadius: .low, lever: .code, by: "agent:a") == proposed)
        #expect(throws: LoopError.self) { try steps.propose(failures: ["failure-1"], fix: "f1", change: "other", blastRadius: .low, lever: .code, by: "agent:a") }
        #expect(throws: LoopError.self) { try steps.review(fix: "nope", approve: true, by: "dana") }
        #expect(throws: LoopError.self) { try steps.review(fix: "f1", approve: true, by: "agent:reviewer") }
        #expect(throws: LoopError.self) { try steps.reverted(fix: "f1", reason: "broke prod") }
        try steps.review(fix: "f1", approve: false, by: "dana")
        #expect(throws: LoopError.self) { try steps.merged(fix: "f1", commit: "abc1234") }
        #expect(throws: LoopError.self) { try steps.gate(fix: "nope") }
        // A resolved failure cannot be diagnosed.
        _ = try ingest("run-2", run: "2")
        #expect(throws: LoopError.self) { try steps.diagnose("failure-1", lever: .code, target: "x", by: "agent:a") }
        #expect(throws: LoopError.self) { try steps.retireGuard(suite: "avalanche-golden", case: "forecast.bulletins::slf-date-format", reason: "r", by: "dana") }
    }

    @Test func aFailedReportWritesNothing() throws {
        let before = try ledger.treeHead()
        var request = IngestRequest(files: [try report("run-1"), folder + "/missing.xml"], suite: "s", run: "1")
        request.kind = .test
        #expect(throws: IngestError.self) { try RunIngester.ingest(request, into: ledger) }
        let truncated = folder + "/truncated.xml"
        let text = try String(contentsOfFile: try report("run-1"), encoding: .utf8)
        try String(text.prefix(600)).write(toFile: truncated, atomically: true, encoding: .utf8)
        request.files = [try report("run-1"), truncated]
        let error = #expect(throws: IngestError.self) { try RunIngester.ingest(request, into: ledger) }
        #expect(error?.message.hasPrefix(truncated) == true)
        #expect(try ledger.treeHead() == before)
    }

    /// A fix for a regressed guard is blocked by the default policy until a person approves it.
    @Test func aBlockedFixCannotMergeWithoutAPerson() throws {
        _ = try AvalancheStory.play(into: ledger, reportsFolder: folder)
        try steps.diagnose("failure-3", lever: .skill, target: "date-normalizer", by: "agent:triage")
        try steps.propose(failures: ["failure-3"], fix: "date-normalizer-2", change: "https://git.example/pr/9", blastRadius: .low, by: "agent:fixer")
        let blocked = try steps.gate(fix: "date-normalizer-2")
        #expect(blocked.decision == .block && blocked.rule == "a guard that regressed is blocked until a person decides")
        #expect(blocked.facts["kind"] == "regression")
        let refusal = #expect(throws: LoopError.self) { try steps.merged(fix: "date-normalizer-2", commit: "abcdef1") }
        #expect(refusal?.message.contains("blocked by the gate") == true)
        try steps.review(fix: "date-normalizer-2", approve: true, by: "dana@example.com")
        try steps.merged(fix: "date-normalizer-2", commit: "abcdef1")
        // A guard is retired only by a person, with a reason.
        #expect(throws: LoopError.self) { try steps.retireGuard(suite: AvalancheStory.suite, case: "forecast.bulletins::slf-date-format", reason: "r", by: "agent:x") }
        try steps.retireGuard(suite: AvalancheStory.suite, case: "alerts.danger::rating-threshold-level-4", reason: "the alert was redesigned", by: "dana@example.com")
        #expect(try LoopState.fold(ledger).guards.values.filter(\.isActive).count == 1)
    }

    /// A new verification supersedes the gate's decision and the reviews made on the old one.
    @Test func reverificationSupersedesEarlierDecisions() throws {
        _ = try AvalancheStory.play(into: ledger, reportsFolder: folder)
        try steps.diagnose("failure-3", lever: .code, target: "date-parser", by: "agent:t")
        try steps.propose(failures: ["failure-3"], fix: "parser", change: "c", blastRadius: .low, lever: .code, by: "agent:f")
        #expect(throws: LoopError.self) { try ingest("run-2", run: "v9", verifies: "date-normalizer") }   // merged already
        var other = IngestRequest(files: [try report("run-2")], suite: "another-suite", run: "v9")
        other.verifies = "parser"
        let mismatch = #expect(throws: LoopError.self) { try RunIngester.ingest(other, into: ledger) }
        #expect(mismatch?.message.contains("verify it with --suite avalanche-golden") == true)
        _ = try ingest("verify-date-normalizer", run: "v3", verifies: "parser")
        try steps.review(fix: "parser", approve: true, by: "dana@example.com")
        let first = try steps.gate(fix: "parser")
        #expect(try steps.gate(fix: "parser") == first, "asked again, the same decision")
        // Verified again, and this time the guarded date case fails: earlier approval no longer counts.
        _ = try ingest("run-3", run: "v4", verifies: "parser")
        let state = try LoopState.fold(ledger)
        #expect(state.fixes["parser"]?.gate == nil && state.fixes["parser"]?.reviews.isEmpty == true)
        #expect(throws: LoopError.self) { try steps.merged(fix: "parser", commit: "abcdef2") }
        let blocked = try steps.gate(fix: "parser")
        #expect(blocked.decision == .block && blocked.facts["guards_failed"] == "1")
    }

    /// Skipped cases do not cover the golden set, and hostile numbers do not trap.
    @Test func skippedCasesDoNotCountAsCovered() throws {
        _ = try ingest("run-1", run: "1")
        try steps.propose(failures: ["failure-1"], fix: "f", change: "c", blastRadius: .low, lever: .skill, by: "agent:f")
        let path = folder + "/skipped.xml"
        try """
        <testsuite name="avalanche-golden">
          <testcase classname="forecast.bulletins" name="slf-date-format" time="1e300"/>
          <testcase classname="forecast.bulletins" name="avalanche-ch-date-format"><skipped/></testcase>
        </testsuite>
        """.write(toFile: path, atomically: true, encoding: .utf8)
        var request = IngestRequest(files: [path], suite: "avalanche-golden", run: "v1")
        request.verifies = "f"
        let verified = try #require(try RunIngester.ingest(request, into: ledger).verification)
        #expect(verified.casesCovered == 1 && verified.goldenCases == 5 && !verified.clean)
        #expect(verified.missingCases.contains("forecast.bulletins::avalanche-ch-date-format"))
    }

    @Test func aliasesCarryHistoryAndQuarantinesExpire() throws {
        _ = try ingest("run-1", run: "1")
        let old = "forecast.bulletins::slf-date-format", new = "forecast.bulletins::slf-bulletin-date-format"
        #expect(throws: LoopError.self) { try steps.alias(suite: "avalanche-golden", from: "nope::x", to: new, by: "dana") }
        try steps.alias(suite: "avalanche-golden", from: old, to: new, by: "dana")
        let state = try LoopState.fold(ledger)
        #expect(state.openFailureByCase[SuiteCase(suite: "avalanche-golden", key: new)] == "failure-1")
        #expect(state.cases[SuiteCase(suite: "avalanche-golden", key: old)] == nil)
        // The failure can be addressed by its new key.
        #expect(try steps.diagnose(new, lever: .skill, target: "date-normalizer", by: "agent:t").failure == "failure-1")

        // A case that never passed is failing, not flaky: it cannot be quarantined.
        let now = try Timestamp(parsing: "2026-11-25")
        #expect(throws: LoopError.self) { try steps.quarantine(suite: "avalanche-golden", case: new, owner: "dana", until: "2030-01-01", reason: nil, now: now) }
        let flaky = "forecast.bulletins::avalanche-ch-date-format"
        #expect(throws: LoopError.self) { try steps.quarantine(suite: "avalanche-golden", case: flaky, owner: "dana", until: "someday", reason: nil, now: now) }
        #expect(throws: LoopError.self) { try steps.quarantine(suite: "avalanche-golden", case: flaky, owner: "dana", until: "2020-01-01", reason: nil, now: now) }
        try steps.quarantine(suite: "avalanche-golden", case: flaky, owner: "dana", until: "2030-01-01", reason: "flaky upstream feed", now: now)
        #expect(throws: LoopError.self) { try steps.quarantine(suite: "avalanche-golden", case: flaky, owner: "dana", until: "2031-01-01", reason: nil, now: now) }
        let expired = try NextQueue.items(ReadModelView(ledger: ledger), now: try Timestamp(parsing: "2030-06-01"))
        #expect(expired.contains { $0.kind == .quarantineExpired && $0.case == flaky })
        // Extended: a longer quarantine, the reason and owner kept unless given.
        #expect(throws: LoopError.self) { try steps.extendQuarantine(suite: "avalanche-golden", case: flaky, until: "2020-01-01", owner: nil, reason: nil, now: now) }
        let extended = try steps.extendQuarantine(suite: "avalanche-golden", case: flaky, until: "2031-01-01", owner: nil, reason: nil, now: now)
        #expect(extended.owner == "dana" && extended.reason == "flaky upstream feed")
        #expect(try LoopState.fold(ledger).quarantines[SuiteCase(suite: "avalanche-golden", key: flaky)]?.until == "2031-01-01")
        #expect(try !NextQueue.items(ReadModelView(ledger: ledger), now: try Timestamp(parsing: "2030-06-01")).contains { $0.kind == .quarantineExpired })
        try steps.endQuarantine(suite: "avalanche-golden", case: flaky, by: "dana")
        #expect(try LoopState.fold(ledger).quarantines.isEmpty)
        #expect(throws: LoopError.self) { try steps.endQuarantine(suite: "avalanche-golden", case: flaky, by: "dana") }
        #expect(throws: LoopError.self) { try steps.extendQuarantine(suite: "avalanche-golden", case: flaky, until: "2031-01-01", owner: nil, reason: nil, now: now) }
    }

    /// Autonomy is earned and lost: the record of a kind of fix (origin and lever) goes into
    /// the gate's facts, and a policy can ask for a clean one.
    @Test func aRevertCostsAKindOfFixItsAutoMerge() throws {
        _ = try ingest("run-1", run: "1")
        try steps.diagnose("failure-1", lever: .skill, target: "date-normalizer", by: "agent:triage")
        try steps.propose(failures: ["failure-1"], fix: "date-normalizer", change: "c", blastRadius: .low, by: "agent:fixer")
        _ = try ingest("verify-date-normalizer", run: "v1", verifies: "date-normalizer")
        #expect(try steps.gate(fix: "date-normalizer").facts["record_auto_merges"] == "0")
        try steps.merged(fix: "date-normalizer", commit: "8a3b7c2", by: "ci")
        try steps.reverted(fix: "date-normalizer", reason: "broke the map tiles", by: "dana")
        let record = try #require(try LoopState.fold(ledger).autonomyRecords[LoopState.AutonomyKey(
            FixProposed(fix: "x", failures: [], lever: .skill, change: "", origin: .agent, blastRadius: .low, reversible: true, by: ""))])
        #expect(record.merges == 1 && record.autoMerges == 1 && record.reverts == 1 && record.regressions == 0)
        #expect(try ReadModelView(ledger: ledger).rows(AutonomyRecordRow.self) == [record])

        try steps.adoptPolicy(text: #"{"rules": [{"name": "skill fixes with a clean record merge themselves", "when": {"lever": ["skill"], "reverts_at_most": 0}, "decide": "auto-merge"}, {"name": "the rest needs a person", "when": {}, "decide": "review"}]}"#,
                              name: "earned", by: "dana")
        try steps.propose(failures: ["failure-1"], fix: "date-normalizer-2", change: "c2", blastRadius: .low, by: "agent:fixer")
        _ = try ingest("verify-date-normalizer", run: "v2", verifies: "date-normalizer-2")
        let decided = try steps.gate(fix: "date-normalizer-2")
        #expect(decided.decision == .review && decided.rule == "the rest needs a person")
        #expect(decided.facts["record_reverts"] == "1" && decided.facts["record_auto_merges"] == "1")
        #expect(throws: LoopError.self) {
            _ = try AutonomyPolicy(text: #"{"rules": [{"name": "r", "when": {"reverts_at_most": -1}, "decide": "review"}]}"#)
        }
    }

    /// Diagnosis accuracy per lever, per skill and overall: a diagnosis is right when a fix
    /// pulling its lever resolved the failure, and a revert takes that back.
    @Test func diagnosisAccuracyCountsRevertsAgainstTheDiagnosis() throws {
        _ = try AvalancheStory.play(into: ledger, reportsFolder: folder)
        func accuracy(_ skill: String) throws -> [Lever: (Int, Int)] {
            let health = try #require(try SkillHealth.read(from: ReadModelView(ledger: ledger), skill: skill).first)
            return Dictionary(uniqueKeysWithValues: health.diagnosisAccuracy.map { ($0.lever, ($0.accurate, $0.judged)) })
        }
        #expect(try accuracy("date-normalizer")[.skill]! == (1, 1))
        #expect(try accuracy("danger-rating")[.threshold]! == (1, 1))
        try steps.reverted(fix: "date-normalizer", reason: "broke the map tiles", by: "dana")
        #expect(try accuracy("date-normalizer")[.skill]! == (0, 1))
        let overall = DiagnosisAccuracy.of(try SkillHealth.read(from: ReadModelView(ledger: ledger)).flatMap(\.levers))
        #expect(overall.map { "\($0.lever) \($0.accurate)/\($0.judged) \($0.rate ?? "-")" } == ["code 0/0 -", "threshold 1/1 1.0000", "skill 0/1 0.0000"])
    }

    /// A quarantined guard that fails keeps the ratchet and stays out of the queue until its
    /// quarantine lapses; then the regression is queued, first.
    @Test func aQuarantinedGuardFailsQuietlyUntilItsQuarantineLapses() throws {
        _ = try ingest("run-1", run: "1")
        try steps.diagnose("failure-1", lever: .skill, target: "date-normalizer", by: "agent:triage")
        try steps.propose(failures: ["failure-1"], fix: "date-normalizer", change: "c", blastRadius: .low, by: "agent:fixer")
        _ = try ingest("verify-date-normalizer", run: "v1", verifies: "date-normalizer")
        #expect(try steps.gate(fix: "date-normalizer").decision == .autoMerge)
        try steps.merged(fix: "date-normalizer", commit: "8a3b7c2", by: "ci")
        _ = try ingest("run-2", run: "2")   // the date case passes: a guard
        let guardKey = "forecast.bulletins::slf-date-format"
        try steps.quarantine(suite: "avalanche-golden", case: guardKey, owner: "dana", until: "2099-01-01", reason: "flaky feed", now: Timestamp.now())
        _ = try ingest("run-3", run: "3")   // the guard fails

        let check = try RatchetCheck.check(suite: "avalanche-golden", run: "3", ledger: ledger)
        #expect(check.holds && check.failed.isEmpty && check.quarantinedFailing == [guardKey])
        let quiet = try NextQueue.items(ReadModelView(ledger: ledger), now: Timestamp.now())
        #expect(!quiet.contains { $0.kind == .regression })
        let lapsed = try NextQueue.items(ReadModelView(ledger: ledger), now: try Timestamp(parsing: "2099-01-02"))
        #expect(lapsed.first?.kind == .regression && lapsed.first?.case == guardKey)
        #expect(lapsed.contains { $0.kind == .quarantineExpired && $0.case == guardKey })
    }

    /// Surefire's reruns: each earlier attempt is an attempt of its own; a case that failed then
    /// passed is flaky, not failing.
    @Test func rerunsAreAttemptsAndFlakyCasesAreCounted() throws {
        let path = folder + "/surefire-reruns.xml"
        try """
        <testsuite name="s" tests="2">
          <testcase classname="a.B" name="flaky"><flakyFailure message="first try"/><flakyFailure message="second try"/></testcase>
          <testcase classname="a.B" name="broken"><failure message="still"/><rerunFailure message="again"/></testcase>
        </testsuite>
        """.write(toFile: path, atomically: true, encoding: .utf8)
        var outcomes: [CaseOutcome] = []
        let facts = try ReportReader.read(path: path) { outcomes.append($0) }
        #expect(facts.counts == ReportCounts(tests: 2, failures: 1))
        #expect(outcomes.map(\.status) == [.fail, .fail, .pass, .fail, .fail])
        let summary = try RunIngester.ingest(IngestRequest(files: [path], suite: "s", run: "1"), into: ledger)
        #expect(summary.flaky == 1)
        #expect(summary.newFailures.count == 1)
        var query = EventQuery()
        query.types = ["CaseOutcomeRecorded"]
        let attempts = try ledger.events(query).map { try LoopPayload.decode(CaseOutcomeRecorded.self, from: EventEnvelope(decoding: $0.body).data).attempt }
        #expect(attempts == [1, 2, 3, 1, 2])
    }

    /// A golden dataset larger than one event is declared in parts and read back whole.
    @Test func aLargeDatasetIsDeclaredInParts() throws {
        let keys = (0..<40_000).map { "golden.area\($0 % 97)::case-\($0)-checks-the-forecast-bulletin" }
        let declared = try steps.declareDataset(suite: "big", version: "v1", text: keys.joined(separator: "\n"), by: "dana")
        #expect(declared.cases.count == 40_000)
        var query = EventQuery()
        query.types = ["DatasetDeclared"]
        #expect(try ledger.events(query).count > 4)
        let state = try LoopState.fold(ledger)
        #expect(state.datasets["big"]?.cases.count == 40_000)
        #expect(state.datasets["big"]?.sha256 == declared.sha256)
        #expect(try NextQueue.mustInclude(suite: "big", view: ReadModelView(ledger: ledger)).count == 40_000)
    }

    @Test func skillMapsMatchTheLastRule() throws {
        let map = try SkillMap(text: """
            # glob                 skill
            forecast.*             forecasting
            forecast.bulletins::*  date-normalizer   # more specific, later
            """)
        #expect(map.skill(for: "forecast.bulletins::slf-date-format") == "date-normalizer")
        #expect(map.skill(for: "forecast.maps::tiles") == "forecasting")
        #expect(map.skill(for: "alerts.danger::x") == nil)
        #expect(throws: EventError.self) { try SkillMap(text: "onlyaglob") }
    }
}

/// The gate's invariants hold whatever a policy says.
@Suite struct GateInvariantTests {
    let permissive = try! AutonomyPolicy(text: #"{"rules": [{"name": "merge everything", "when": {}, "decide": "auto-merge"}]}"#)

    func facts(verified: Bool = true, covered: Bool = true, guardsFailed: Int = 0, passToFail: Int = 0) -> GateFacts {
        GateFacts(kind: .eval, lever: .skill, target: "x", blastRadius: .low, origin: .agent, reversible: true,
                  passedBefore: false, verified: verified, verifiedClean: verified && covered && guardsFailed == 0 && passToFail == 0,
                  goldenCovered: covered, guardsCovered: covered, guardsFailed: guardsFailed, passToFail: passToFail,
                  datasetSource: .declared)
    }

    @Test func cleanVerificationLetsTheRuleDecide() {
        #expect(Gate.decide(facts(), policy: permissive).decision == .autoMerge)
        #expect(Gate.decide(facts(), policy: permissive).invariant == nil)
    }

    @Test func noAutoMergeWithoutAFullVerification() {
        #expect(Gate.decide(facts(verified: false), policy: permissive) ==
                Gate.Decision(decision: .review, rule: "merge everything", considered: ["merge everything"], invariant: "no verification run: no auto-merge"))
        #expect(Gate.decide(facts(covered: false), policy: permissive).decision == .review)
    }

    @Test func aFailedGuardOrABrokenCaseBlocks() {
        #expect(Gate.decide(facts(guardsFailed: 1), policy: permissive).decision == .block)
        #expect(Gate.decide(facts(passToFail: 2), policy: permissive).decision == .block)
        #expect(Gate.decide(facts(passToFail: 2), policy: permissive).invariant?.contains("pass to fail") == true)
    }

    @Test func recordedFactsRoundTrip() {
        let original = facts(guardsFailed: 1)
        #expect(GateFacts(recorded: original.recorded) == original)
    }

    @Test(arguments: [
        (#"{"rules": []}"#, "non-empty list"),
        (#"{"rules": [{"name": "r", "decide": "maybe"}]}"#, "rule 1 (r): \"decide\" must be auto-merge, review or block"),
        (#"{"rules": [{"name": "r", "when": {"colour": ["red"]}, "decide": "review"}]}"#, "rule 1 (r): unknown condition \"colour\""),
        (#"{"rules": [{"name": "r", "when": {"kind": ["vibes"]}, "decide": "review"}]}"#, "rule 1 (r): when.kind: unknown value \"vibes\""),
        (#"{"rules": [{"name": "r", "when": {"reversible": "yes"}, "decide": "review"}]}"#, "when.reversible must be true or false"),
        (#"{"rules": [{"name": "ok", "decide": "review"}, {"decide": "review"}]}"#, "rule 2: \"name\" must be"),
        (#"{"ruels": []}"#, "unknown field \"ruels\""),
        ("not json", "not valid JSON"),
    ])
    func invalidPoliciesNameTheRuleAndField(text: String, fragment: String) {
        let error = #expect(throws: LoopError.self) { try AutonomyPolicy(text: text, name: "p.json") }
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
        #expect(error?.message.hasPrefix("p.json") == true)
    }
}
