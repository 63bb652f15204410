import Foundation
import Testing
import Events
import Ingest
import LedgerStore
@testable import RemediationLoop

/// The avalanche-forecast story, step by step, against a real ledger file.
@Suite struct ScenarioTests {
    let folder: String
    let ledger: Ledger
    let steps: LoopSteps

    init() throws {
        folder = NSTemporaryDirectory() + "remedy-loop-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        ledger = try Ledger.open(LedgerPath(path: folder + "/ledger.db"), mode: .readWrite)
        steps = LoopSteps(ledger: ledger)
    }

    static func report(_ name: String) -> String {
        Bundle.module.url(forResource: name, withExtension: "xml", subdirectory: "Fixtures/avalanche")!.path
    }

    func ingest(_ report: String, run: String, verifies: String? = nil) throws -> IngestSummary {
        var request = IngestRequest(files: [Self.report(report)], suite: "avalanche-golden", run: run)
        request.commit = "4f2c9e1"
        request.verifies = verifies
        return try RunIngester.ingest(request, into: ledger)
    }

    func queue() throws -> [QueueItem] {
        NextQueue.items(try LoopState.fold(ledger), now: Timestamp.now())
    }

    @Test func theDateFormatStory() throws {
        // Run 1: the new golden case fails.
        let first = try ingest("run-1", run: "1")
        #expect(first.recorded)
        #expect(first.counts == ReportCounts(tests: 5, failures: 1))
        #expect(first.newFailures == ["failure-1"])
        #expect(first.stillFailing == 0 && first.fixed.isEmpty && first.regressions.isEmpty)

        #expect(try queue().map(\.kind) == [.diagnose])

        // Ingesting the same run again records nothing and reports the same.
        let before = try ledger.treeHead()
        let again = try ingest("run-1", run: "1")
        #expect(!again.recorded)
        #expect(again.newFailures == ["failure-1"] && again.counts == first.counts)
        #expect(try ledger.treeHead() == before)

        // A different report for the same run is a conflict; nothing is written.
        #expect(throws: LoopError.self) { try ingest("run-2", run: "1") }
        #expect(try ledger.treeHead() == before)

        // Diagnose by case key, propose, verify, approve, merge.
        let diagnosis = try steps.diagnose("forecast.bulletins::slf-date-format", lever: "skill", target: "date-normalizer",
                                           evidence: ["tr-run-1"], confidence: "0.9", by: "agent:triage")
        #expect(diagnosis.failure == "failure-1")
        #expect(try queue().map(\.kind) == [.propose])
        let proposal = try steps.propose(failures: ["failure-1"], fix: "date-normalizer", change: "https://git.example/pr/7",
                                         blastRadius: "low", by: "agent:fixer")
        #expect(proposal.lever == "skill" && proposal.target == "date-normalizer" && proposal.origin == "agent")
        let verify = try #require(try queue().first)
        #expect(verify.kind == .verify && verify.subject == "date-normalizer")
        #expect(verify.mustInclude.count == 5 && verify.mustInclude.contains("forecast.bulletins::slf-date-format"))
        let verification = try ingest("verify-date-normalizer", run: "v1", verifies: "date-normalizer")
        #expect(verification.newFailures.isEmpty, "a verification run detects nothing on main")
        let verified = try #require(verification.verification)
        #expect(verified.clean)
        #expect(verified.failToPass == ["forecast.bulletins::slf-date-format"])
        #expect(verified.goldenCases == 5 && verified.casesCovered == 5 && verified.datasetSource == "last-complete-run")
        #expect(try queue().map(\.kind) == [.gate])
        #expect(throws: LoopError.self) { try steps.merged(fix: "date-normalizer", commit: "8a3b7c2") }
        try steps.review(fix: "date-normalizer", approve: true, by: "dana@example.com")
        try steps.merged(fix: "date-normalizer", commit: "8a3b7c2", by: "ci")

        // Run 2: the case passes: resolved, and a regression guard now.
        let second = try ingest("run-2", run: "2")
        #expect(second.fixed == ["failure-1"])
        #expect(second.newFailures.isEmpty)

        // Run 3: the guarded case fails again: a regression.
        let third = try ingest("run-3", run: "3")
        #expect(third.newFailures == ["failure-2"])
        #expect(third.regressions == ["failure-2"])
        let top = try #require(try queue().first)
        #expect(top.kind == .regression && top.subject == "failure-2" && top.case == "forecast.bulletins::slf-date-format")
        #expect(try ledger.verify().isValid)
    }

    @Test func stepsRefuseWhatTheStateDoesNotAllow() throws {
        _ = try ingest("run-1", run: "1")
        #expect(throws: LoopError.self) { try steps.diagnose("failure-9", lever: "skill", target: "x", by: "agent:a") }
        #expect(throws: LoopError.self) { try steps.diagnose("failure-1", lever: "vibes", target: "x", by: "agent:a") }
        #expect(throws: LoopError.self) { try steps.diagnose("failure-1", lever: "code", target: "x", confidence: "1.5", by: "agent:a") }
        #expect(throws: LoopError.self) { try steps.propose(failures: ["failure-1"], fix: "f1", change: "c", blastRadius: "low", by: "agent:a") }
        try steps.propose(failures: ["failure-1"], fix: "f1", change: "c", blastRadius: "low", lever: "code", by: "agent:a")
        #expect(throws: LoopError.self) { try steps.propose(failures: ["failure-1"], fix: "f1", change: "c", blastRadius: "low", lever: "code", by: "agent:a") }
        #expect(throws: LoopError.self) { try steps.review(fix: "nope", approve: true, by: "dana") }
        #expect(throws: LoopError.self) { try steps.review(fix: "f1", approve: true, by: "agent:reviewer") }
        #expect(throws: LoopError.self) { try steps.reverted(fix: "f1", reason: "broke prod") }
        try steps.review(fix: "f1", approve: false, by: "dana")
        #expect(throws: LoopError.self) { try steps.merged(fix: "f1", commit: "abc1234") }
        // A resolved failure cannot be diagnosed.
        _ = try ingest("run-2", run: "2")
        #expect(throws: LoopError.self) { try steps.diagnose("failure-1", lever: "code", target: "x", by: "agent:a") }
        #expect(throws: LoopError.self) { try steps.retireGuard(suite: "avalanche-golden", case: "forecast.bulletins::slf-date-format", reason: "r", by: "dana") }
    }

    @Test func aFailedReportWritesNothing() throws {
        let before = try ledger.treeHead()
        var request = IngestRequest(files: [Self.report("run-1"), folder + "/missing.xml"], suite: "s", run: "1")
        request.kind = "test"
        #expect(throws: IngestError.self) { try RunIngester.ingest(request, into: ledger) }
        let truncated = folder + "/truncated.xml"
        let text = try String(contentsOfFile: Self.report("run-1"), encoding: .utf8)
        try String(text.prefix(600)).write(toFile: truncated, atomically: true, encoding: .utf8)
        request.files = [Self.report("run-1"), truncated]
        let error = #expect(throws: IngestError.self) { try RunIngester.ingest(request, into: ledger) }
        #expect(error?.message.hasPrefix(truncated) == true)
        #expect(try ledger.treeHead() == before)
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
        #expect(throws: LoopError.self) { try SkillMap(text: "onlyaglob") }
    }
}
