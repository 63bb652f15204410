import Events

/// Per-skill health: how each skill (the instructions an assistant follows, the unit a case
/// is mapped to) is doing, what the loop did about its failures, and a status with its rule.
///
/// A case's skill comes from its outcomes and failures (`skill`, set from the skill map at
/// ingest); cases without one count under `unmapped`. Only regular runs count towards pass
/// rates; verification runs of fixes do not. A case counts once per run, by its last attempt.
///
/// Status rules, first match wins (``statusRules``): an open regression (a guard slipped) or a
/// pass rate under 0.80 over the last ``window`` runs is `failing`; a pass rate under 0.95, or
/// a last run more than 0.02 below the window's rate, is `degraded`; otherwise `healthy`.
///
/// ```sql
/// SELECT skill, status, pass_rate, trend, open_failures, guards FROM skill_health ORDER BY skill;
/// ```
public enum SkillHealthProjection: Projection {
    public static let name = "health"
    public static let version = 4
    /// Runs in a skill's pass-rate window.
    public static let window = 10
    public static let unmapped = "unmapped"
    public static let levers = ["code", "threshold", "skill"]

    public static let statusRules = [
        "failing: a guard of the skill slipped (an open regression)",
        "failing: pass rate under 0.80 over the last \(window) runs",
        "degraded: pass rate under 0.95 over the last \(window) runs",
        "degraded: the last run's pass rate more than 0.02 below the window's",
        "healthy: none of the above",
    ]

    public static let eventTypes = [
        LoopEventType.evalRunStarted, .caseOutcomeRecorded, .evalRunCompleted, .failureDetected, .diagnosisRecorded,
        .fixProposed, .fixVerified, .reviewRecorded, .fixMerged, .fixReverted, .failureResolved, .guardRetired, .caseAliased,
    ].map(\.rawValue)

    /// The columns of `skill_health`, in order.
    enum H: Int, CaseIterable {
        case skill, status, rule, cases, runs, window, passRate, lastRunRate, trend
        case failures, openFailures, regressions, openRegressions, diagnosedCode, diagnosedThreshold, diagnosedSkill
        case fixesProposed, fixesVerified, fixesFailedVerification, fixesMerged, fixesRejected, fixesReverted
        case guards, resolved, leverResolved, leverMatched
    }

    public static let health = ReadModelTable(
        name: "skill_health",
        columns: [
            .init("skill", "TEXT", "the skill (unmapped for cases without one)"),
            .init("status", "TEXT", "healthy, degraded or failing"),
            .init("rule", "TEXT", "the rule that decided the status, with the figures"),
            .init("cases", "INTEGER", "cases of the skill in its last run"),
            .init("runs", "INTEGER", "regular runs that ran the skill"),
            .init("recent", "TEXT", "passed/ran of its last runs, oldest first, space-separated"),
            .init("pass_rate", "TEXT", "passed / ran over those runs, four decimals"),
            .init("last_run_rate", "TEXT", "passed / ran in its last run"),
            .init("trend", "TEXT", "up, down or flat: the last run against the window"),
            .init("failures", "INTEGER", "failures detected"),
            .init("open_failures", "INTEGER", "failures not resolved"),
            .init("regressions", "INTEGER", "regressions detected (guards that failed)"),
            .init("open_regressions", "INTEGER", "regressions not resolved"),
            .init("diagnosed_code", "INTEGER", "failures whose latest diagnosis names the code lever"),
            .init("diagnosed_threshold", "INTEGER", "... the threshold lever"),
            .init("diagnosed_skill", "INTEGER", "... the skill lever"),
            .init("fixes_proposed", "INTEGER", "fixes proposed for its failures"),
            .init("fixes_verified", "INTEGER", "of those, verified at least once"),
            .init("fixes_failed_verification", "INTEGER", "of those, with a verification that was not clean"),
            .init("fixes_merged", "INTEGER", "fixes merged"),
            .init("fixes_rejected", "INTEGER", "fixes a reviewer rejected"),
            .init("fixes_reverted", "INTEGER", "fixes reverted"),
            .init("guards", "INTEGER", "regression guards not retired"),
            .init("resolved", "INTEGER", "failures resolved"),
            .init("lever_resolved", "INTEGER", "failures resolved by a fix after a diagnosis"),
            .init("lever_matched", "INTEGER", "of those, where the fix pulled the diagnosed lever"),
        ],
        keyColumns: 1, documentation: "One row per skill.")

    public static let leverHealth = ReadModelTable(
        name: "skill_levers",
        columns: [
            .init("skill", "TEXT", "the skill"), .init("lever", "TEXT", "code, threshold or skill"),
            .init("target", "TEXT", "what the lever acts on (a module, a threshold, a skill file)"),
            .init("diagnosed", "INTEGER", "failures whose latest diagnosis names this lever and target"),
            .init("fixes_proposed", "INTEGER", "fixes proposed that pull it"), .init("fixes_merged", "INTEGER", "of those, merged"),
            .init("resolved", "INTEGER", "failures diagnosed so, resolved"),
        ],
        keyColumns: 3, documentation: "Per skill, lever and target.")

    public static let fixTimes = ReadModelTable(
        name: "skill_fix_times",
        columns: [
            .init("skill", "TEXT", "the skill"), .init("failure", "TEXT", "the failure that became a guard"),
            .init("detected_position", "INTEGER", "where it was detected"), .init("guarded_position", "INTEGER", "where its case became a guard"),
            .init("milliseconds", "INTEGER", "recorded time from detection to guard"),
        ],
        keyColumns: 2, appendOnly: true, documentation: "Time to fix: from a failure's detection to its case becoming a guard.")

    public static let skillRuns = ReadModelTable(
        name: "skill_runs",
        columns: [
            .init("position", "INTEGER", "where the run completed"), .init("skill", "TEXT", "the skill"),
            .init("suite", "TEXT", "the run's suite"), .init("run_id", "TEXT", "the run"),
            .init("completed_at", "TEXT", "when it completed"),
            .init("ran", "INTEGER", "cases of the skill it ran"), .init("passed", "INTEGER", "of those, passed"),
        ],
        keyColumns: 2, indexes: [["skill", "position"]], appendOnly: true,
        documentation: "Per regular run and skill, cases run and passed: the skill's history over time.")

    static let runs = ReadModelTable(
        name: "health_runs",
        columns: [.init("stream", "TEXT", "the run's stream"), .init("suite", "TEXT", "its suite"), .init("run_id", "TEXT", "the run"),
                  .init("verifies", "TEXT", "the fix it verifies, if any"),
                  .init("skills", "TEXT", "the skills it ran so far, newline-separated")],
        keyColumns: 1, documentation: "Working state: runs in progress.")
    static let tallies = ReadModelTable(
        name: "health_tallies",
        columns: [.init("stream", "TEXT", "the run's stream"), .init("skill", "TEXT", "the skill"),
                  .init("ran", "INTEGER", "cases run"), .init("passed", "INTEGER", "cases passed")],
        keyColumns: 2, documentation: "Working state: per run in progress and skill, cases run and passed.")
    static let cases = ReadModelTable(
        name: "health_cases",
        columns: [.init("suite", "TEXT", "the suite"), .init("case_key", "TEXT", "the case"),
                  .init("stream", "TEXT", "the last run that ran it"), .init("result", "TEXT", "its last attempt's result there")],
        keyColumns: 2, documentation: "Working state: each case's last run and result, so a case counts once per run.")
    static let failures = ReadModelTable(
        name: "health_failures",
        columns: [.init("failure", "TEXT", "the failure"), .init("skill", "TEXT", "its skill"), .init("kind", "TEXT", "its kind"),
                  .init("detected_at", "TEXT", "when it was detected"), .init("detected_position", "INTEGER", "where"),
                  .init("lever", "TEXT", "its latest diagnosed lever"), .init("target", "TEXT", "and target"),
                  .init("open", "INTEGER", "1 until resolved")],
        keyColumns: 1, documentation: "Working state: failures.")
    static let fixes = ReadModelTable(
        name: "health_fixes",
        columns: [.init("fix", "TEXT", "the fix"), .init("lever", "TEXT", "its lever"), .init("target", "TEXT", "its target"),
                  .init("skills", "TEXT", "the skills of its failures, newline-separated"),
                  .init("verified", "INTEGER", "1 once verified"), .init("failed_verification", "INTEGER", "1 once a verification was not clean"),
                  .init("rejected", "INTEGER", "1 once rejected")],
        keyColumns: 1, documentation: "Working state: fixes.")
    static let guardSkills = ReadModelTable(
        name: "health_guards",
        columns: [.init("suite", "TEXT", "the suite"), .init("case_key", "TEXT", "the guarded case"),
                  .init("skill", "TEXT", "its skill"), .init("retired", "INTEGER", "1 once retired")],
        keyColumns: 2, documentation: "Working state: guards and their skills.")

    public static let tables = [health, leverHealth, fixTimes, skillRuns, runs, tallies, cases, failures, fixes, guardSkills]

    public static func apply(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        if event.type == LoopEventType.caseOutcomeRecorded.rawValue { return try HealthFold.outcome(event, rows: rows) }
        var fold = HealthFold(rows: rows)
        try fold.apply(event)
        return fold.writes
    }

    /// The status of a `skill_health` row and the rule that decided it.
    static func status(_ row: [RowValue]) -> (String, String) {
        let openRegressions = row[H.openRegressions.rawValue].number
        if openRegressions == 1 { return ("failing", "1 open regression (a guard slipped)") }
        if openRegressions > 1 { return ("failing", "\(openRegressions) open regressions (guards slipped)") }
        guard let rate = scaled(row[H.passRate.rawValue]) else { return ("healthy", "no runs yet") }
        let shown = row[H.passRate.rawValue].description
        if rate < 8_000 { return ("failing", "pass rate \(shown) < 0.80 over the last \(window) runs") }
        if rate < 9_500 { return ("degraded", "pass rate \(shown) < 0.95 over the last \(window) runs") }
        if let last = scaled(row[H.lastRunRate.rawValue]), last < rate - 200 {
            return ("degraded", "last run \(row[H.lastRunRate.rawValue]) is more than 0.02 below \(shown)")
        }
        return ("healthy", "pass rate \(shown) >= 0.95, no open regression")
    }

    /// "0.9512" as 9512.
    static func scaled(_ value: RowValue) -> Int? {
        guard case .text(let text) = value, !text.isEmpty else { return nil }
        let digits = text.filter(\.isNumber)
        return Int(digits)
    }
}
