import Events
import LedgerStore
import RemediationLoop

/// The avalanche-forecast story: the demo `remedy demo` plays, and the scenario the tests check.
///
/// An eval suite runs over forecast centers' pipelines. Run 1: a new golden case for one
/// center's bulletins fails because the pipeline misparses its date format; an agent diagnoses
/// the `skill` lever (`date-normalizer`), proposes a fix, verification passes on the whole
/// golden set, the gate auto-merges under the default policy, the next run passes and the case
/// becomes a guard. Run 2: an agent proposes changing a danger-rating alert threshold: the gate
/// queues it for review; a person approves. Run 3: a later change breaks the guarded date case:
/// a regression is detected and `remedy next` puts it first.
public enum AvalancheStory {
    public static let suite = "avalanche-golden"

    /// The story's JUnit reports, in the order they are ingested.
    public static let reports: [(name: String, xml: String)] = [
        ("run-1", """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites name="avalanche golden">
          <testsuite name="avalanche-golden" tests="5">
            <testcase classname="forecast.bulletins" name="slf-date-format" time="0.105">
              <properties><property name="skill" value="date-normalizer"/><property name="trace_id" value="tr-run-1-slf-date"/></properties>
              <failure message="expected valid_from 2026-01-15T17:00+01:00, got 2026-15-01">AssertionError: misparsed date dd.mm.yyyy as yyyy-dd-mm</failure>
            </testcase>
            <testcase classname="forecast.bulletins" name="avalanche-ch-date-format" time="0.168">
              <properties><property name="skill" value="date-normalizer"/><property name="trace_id" value="tr-run-1-avalanch"/></properties>
            </testcase>
            <testcase classname="forecast.bulletins" name="caic-bulletin-sections" time="0.154">
              <properties><property name="skill" value="bulletin-parser"/><property name="trace_id" value="tr-run-1-caic-bul"/></properties>
            </testcase>
            <testcase classname="alerts.danger" name="rating-threshold-level-4" time="0.168">
              <properties><property name="skill" value="danger-rating"/><property name="trace_id" value="tr-run-1-rating-t"/></properties>
            </testcase>
            <testcase classname="alerts.danger" name="rating-threshold-level-3" time="0.168">
              <properties><property name="skill" value="danger-rating"/><property name="trace_id" value="tr-run-1-rating-t"/></properties>
            </testcase>
          </testsuite>
        </testsuites>

        """),
        ("verify-date-normalizer", """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites name="avalanche golden">
          <testsuite name="avalanche-golden" tests="5">
            <testcase classname="forecast.bulletins" name="slf-date-format" time="0.105">
              <properties><property name="skill" value="date-normalizer"/><property name="trace_id" value="tr-verify-date-normalizer-slf-date"/></properties>
            </testcase>
            <testcase classname="forecast.bulletins" name="avalanche-ch-date-format" time="0.168">
              <properties><property name="skill" value="date-normalizer"/><property name="trace_id" value="tr-verify-date-normalizer-avalanch"/></properties>
            </testcase>
            <testcase classname="forecast.bulletins" name="caic-bulletin-sections" time="0.154">
              <properties><property name="skill" value="bulletin-parser"/><property name="trace_id" value="tr-verify-date-normalizer-caic-bul"/></properties>
            </testcase>
            <testcase classname="alerts.danger" name="rating-threshold-level-4" time="0.168">
              <properties><property name="skill" value="danger-rating"/><property name="trace_id" value="tr-verify-date-normalizer-rating-t"/></properties>
            </testcase>
            <testcase classname="alerts.danger" name="rating-threshold-level-3" time="0.168">
              <properties><property name="skill" value="danger-rating"/><property name="trace_id" value="tr-verify-date-normalizer-rating-t"/></properties>
            </testcase>
          </testsuite>
        </testsuites>

        """),
        ("run-2", """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites name="avalanche golden">
          <testsuite name="avalanche-golden" tests="5">
            <testcase classname="forecast.bulletins" name="slf-date-format" time="0.105">
              <properties><property name="skill" value="date-normalizer"/><property name="trace_id" value="tr-run-2-slf-date"/></properties>
            </testcase>
            <testcase classname="forecast.bulletins" name="avalanche-ch-date-format" time="0.168">
              <properties><property name="skill" value="date-normalizer"/><property name="trace_id" value="tr-run-2-avalanch"/></properties>
            </testcase>
            <testcase classname="forecast.bulletins" name="caic-bulletin-sections" time="0.154">
              <properties><property name="skill" value="bulletin-parser"/><property name="trace_id" value="tr-run-2-caic-bul"/></properties>
            </testcase>
            <testcase classname="alerts.danger" name="rating-threshold-level-4" time="0.168">
              <properties><property name="skill" value="danger-rating"/><property name="trace_id" value="tr-run-2-rating-t"/></properties>
              <failure message="expected danger level 4 (high) for 65 cm new snow at 2400 m, got 3">AssertionError: alert threshold new_snow_cm=80 does not match the forecasters&apos; 60</failure>
            </testcase>
            <testcase classname="alerts.danger" name="rating-threshold-level-3" time="0.168">
              <properties><property name="skill" value="danger-rating"/><property name="trace_id" value="tr-run-2-rating-t"/></properties>
            </testcase>
          </testsuite>
        </testsuites>

        """),
        ("verify-danger-threshold", """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites name="avalanche golden">
          <testsuite name="avalanche-golden" tests="5">
            <testcase classname="forecast.bulletins" name="slf-date-format" time="0.105">
              <properties><property name="skill" value="date-normalizer"/><property name="trace_id" value="tr-verify-danger-threshold-slf-date"/></properties>
            </testcase>
            <testcase classname="forecast.bulletins" name="avalanche-ch-date-format" time="0.168">
              <properties><property name="skill" value="date-normalizer"/><property name="trace_id" value="tr-verify-danger-threshold-avalanch"/></properties>
            </testcase>
            <testcase classname="forecast.bulletins" name="caic-bulletin-sections" time="0.154">
              <properties><property name="skill" value="bulletin-parser"/><property name="trace_id" value="tr-verify-danger-threshold-caic-bul"/></properties>
            </testcase>
            <testcase classname="alerts.danger" name="rating-threshold-level-4" time="0.168">
              <properties><property name="skill" value="danger-rating"/><property name="trace_id" value="tr-verify-danger-threshold-rating-t"/></properties>
            </testcase>
            <testcase classname="alerts.danger" name="rating-threshold-level-3" time="0.168">
              <properties><property name="skill" value="danger-rating"/><property name="trace_id" value="tr-verify-danger-threshold-rating-t"/></properties>
            </testcase>
          </testsuite>
        </testsuites>

        """),
        ("run-3", """
        <?xml version="1.0" encoding="UTF-8"?>
        <testsuites name="avalanche golden">
          <testsuite name="avalanche-golden" tests="5">
            <testcase classname="forecast.bulletins" name="slf-date-format" time="0.105">
              <properties><property name="skill" value="date-normalizer"/><property name="trace_id" value="tr-run-3-slf-date"/></properties>
              <failure message="expected valid_from 2026-01-15T17:00+01:00, got 2026-15-01">AssertionError: misparsed date dd.mm.yyyy as yyyy-dd-mm</failure>
            </testcase>
            <testcase classname="forecast.bulletins" name="avalanche-ch-date-format" time="0.168">
              <properties><property name="skill" value="date-normalizer"/><property name="trace_id" value="tr-run-3-avalanch"/></properties>
            </testcase>
            <testcase classname="forecast.bulletins" name="caic-bulletin-sections" time="0.154">
              <properties><property name="skill" value="bulletin-parser"/><property name="trace_id" value="tr-run-3-caic-bul"/></properties>
            </testcase>
            <testcase classname="alerts.danger" name="rating-threshold-level-4" time="0.168">
              <properties><property name="skill" value="danger-rating"/><property name="trace_id" value="tr-run-3-rating-t"/></properties>
            </testcase>
            <testcase classname="alerts.danger" name="rating-threshold-level-3" time="0.168">
              <properties><property name="skill" value="danger-rating"/><property name="trace_id" value="tr-run-3-rating-t"/></properties>
            </testcase>
          </testsuite>
        </testsuites>

        """),
    ]

    /// What the story recorded: one line per step, for people.
    public struct Played: Sendable {
        public var steps: [String] = []
        public var decisions: [GateDecided] = []
    }

    /// Writes the story's reports into `folder`; returns each one's path by name.
    static func writeReports(into folder: String) throws -> [String: String] {
        var paths: [String: String] = [:]
        for (name, xml) in reports {
            let path = folder + "/" + name + ".xml"
            try InputFile.write(Array(xml.utf8), to: path)
            paths[name] = path
        }
        return paths
    }

    /// Plays the story into `ledger`, writing its reports into `folder` first.
    ///
    /// - Throws: what the loop's steps throw (none, on a new ledger).
    public static func play(into ledger: any EventStore, reportsFolder folder: String) throws -> Played {
        var played = Played()
        let paths = try writeReports(into: folder)
        let steps = LoopSteps(ledger: ledger)
        func ingest(_ name: String, run: String, verifies: String? = nil) throws -> IngestSummary {
            var request = IngestRequest(files: [paths[name]!], suite: suite, run: run)
            request.kind = .eval
            request.commit = ["1": "4f2c9e1", "2": "8a3b7c2", "3": "c0ffee1"][run] ?? "8a3b7c2"
            request.verifies = verifies
            let summary = try RunIngester.ingest(request, into: ledger)
            let detected = try summary.verification.map { "verification of \($0.fix): \($0.clean ? "clean" : "not clean"), \($0.casesCovered)/\($0.goldenCases) golden cases" }
                ?? "new failures \(try summary.newFailures.ids()), fixed \(summary.fixed), regressions \(summary.regressions)"
            played.steps.append("ingest run \(run): \(summary.counts.tests) cases, \(summary.counts.failures) failing; \(detected)")
            return summary
        }
        func gate(_ fix: String) throws {
            let decided = try steps.gate(fix: fix)
            played.decisions.append(decided)
            played.steps.append("gate \(fix): \(decided.decision) (\(decided.invariant ?? decided.rule))")
        }

        _ = try ingest("run-1", run: "1")
        try steps.diagnose("failure-1", lever: .skill, target: "date-normalizer", evidence: ["tr-run-1-slf-date"], confidence: "0.9", by: "agent:triage")
        played.steps.append("diagnose failure-1: lever skill, target date-normalizer (agent:triage)")
        try steps.propose(failures: ["failure-1"], fix: "date-normalizer", change: "https://git.example/forecasts/pull/7", blastRadius: .low, by: "agent:fixer")
        played.steps.append("propose fix date-normalizer for failure-1 (agent:fixer)")
        _ = try ingest("verify-date-normalizer", run: "v1", verifies: "date-normalizer")
        try gate("date-normalizer")
        try steps.merged(fix: "date-normalizer", commit: "8a3b7c2", by: "ci")
        played.steps.append("merged date-normalizer at 8a3b7c2")

        _ = try ingest("run-2", run: "2")
        try steps.diagnose("failure-2", lever: .threshold, target: "alerts.danger.new_snow_cm", evidence: ["tr-run-2-rating-t"], confidence: "0.7", by: "agent:triage")
        played.steps.append("diagnose failure-2: lever threshold, target alerts.danger.new_snow_cm (agent:triage)")
        try steps.propose(failures: ["failure-2"], fix: "danger-threshold", change: "https://git.example/forecasts/pull/8", blastRadius: .low, by: "agent:fixer")
        played.steps.append("propose fix danger-threshold for failure-2 (agent:fixer)")
        _ = try ingest("verify-danger-threshold", run: "v2", verifies: "danger-threshold")
        try gate("danger-threshold")
        try steps.review(fix: "danger-threshold", approve: true, comment: "matches the forecasters' 60 cm", by: "dana@example.com")
        played.steps.append("review danger-threshold: approved by dana@example.com")
        try steps.merged(fix: "danger-threshold", commit: "9b4c8d3", by: "dana@example.com")
        played.steps.append("merged danger-threshold at 9b4c8d3")

        _ = try ingest("run-3", run: "3")
        return played
    }
}
