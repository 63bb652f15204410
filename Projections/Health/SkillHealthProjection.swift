import Events

/// Per-skill health: how each skill (the instructions an assistant follows, the unit a case
/// is mapped to) is doing, what the loop did about its failures, and a status with its rule.
///
/// A case's skill is the adopted skill map's (``SkillMapAdopted``, over all history: adopting
/// a map rebuilds these tables), else the one its outcomes and failures recorded (`skill`, set
/// from the skill map at ingest); cases without one count under `unmapped`. Only regular runs count towards pass
/// rates; verification runs of fixes do not. A case counts once per run, by its last attempt.
///
/// Status rules, first match wins (``statusRules``): an open regression (a guard slipped) or a
/// pass rate under 0.80 over the last ``window`` runs is `failing`; a pass rate under 0.95, or
/// a last run more than 0.02 below the window's rate, is `degraded`; otherwise `healthy`.
///
/// ```sql
/// SELECT skill, status, pass_rate, trend, open_failures, guards FROM skill_health ORDER BY skill;
/// ```
public enum SkillHealthProjection: SkillAttributing {
    public static let name = "health"
    public static let version = 6
    /// Runs in a skill's pass-rate window.
    public static let window = 10
    public static let unmapped = "unmapped"

    public static let statusRules = [
        "failing: a guard of the skill slipped (an open regression)",
        "failing: pass rate under 0.80 over the last \(window) runs",
        "degraded: pass rate under 0.95 over the last \(window) runs",
        "degraded: the last run's pass rate more than 0.02 below the window's",
        "healthy: none of the above",
    ]

    public static let eventTypes = [
        LoopEventType.evalRunStarted, .caseOutcomeRecorded, .evalRunCompleted, .failureDetected, .diagnosisRecorded,
        .fixProposed, .fixVerified, .reviewRecorded, .fixMerged, .fixReverted, .failureResolved, .guardRetired, .caseAliased, .skillMapAdopted,
    ].map(\.rawValue)
    public static let retroactiveTypes = [LoopEventType.skillMapAdopted.rawValue]
    /// Three rows read and two written per outcome: measured at 200,000 events, about as much
    /// as the case history (10) and the five light projections together.
    public static let foldWeight = 15
    public static let skillMapTable = "health_skill_map"

    public static let health = SkillHealthRow.table
    public static let leverHealth = SkillLeverRow.table
    public static let fixTimes = SkillFixTimeRow.table
    public static let skillRuns = SkillRunRow.table

    public static let tables = [SkillHealthRow.table, SkillLeverRow.table, SkillFixTimeRow.table, SkillRunRow.table, HealthRunRow.table,
                                HealthTallyRow.table, HealthCaseRow.table, HealthFailureRow.table, HealthFixRow.table, HealthGuardRow.table,
                                HeldSkillMap<SkillHealthProjection>.table]

    public static func apply(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        if event.loopType == .caseOutcomeRecorded { return try HealthFold.outcome(event, rows: rows) }
        var fold = HealthFold(rows: rows)
        try fold.apply(event)
        return fold.writes
    }

    /// The status of a `skill_health` row and the rule that decided it.
    static func status(_ row: SkillHealthRow) -> (HealthStatus, String) {
        let openRegressions = row.openRegressions
        if openRegressions == 1 { return (.failing, "1 open regression (a guard slipped)") }
        if openRegressions > 1 { return (.failing, "\(openRegressions) open regressions (guards slipped)") }
        guard let shown = row.passRate, let rate = scaled(shown) else { return (.healthy, "no runs yet") }
        if rate < 8_000 { return (.failing, "pass rate \(shown) < 0.80 over the last \(window) runs") }
        if rate < 9_500 { return (.degraded, "pass rate \(shown) < 0.95 over the last \(window) runs") }
        if let lastRate = row.lastRunRate, let last = scaled(lastRate), last < rate - 200 {
            return (.degraded, "last run \(lastRate) is more than 0.02 below \(shown)")
        }
        return (.healthy, "pass rate \(shown) >= 0.95, no open regression")
    }

    /// "0.9512" as 9512.
    static func scaled(_ text: String) -> Int? {
        guard !text.isEmpty else { return nil }
        return Int(text.filter(\.isNumber))
    }
}
