import Events
import Projections
import RemediationLoop

/// What `remedy health` shows of one skill: its `skill_health` row, its levers, and the figures
/// computed when asked (time to fix, how often the diagnosed lever was the right one).
public struct SkillHealth: Sendable, Equatable {
    /// The skill's row: status and rule, pass rates, failures, fixes and guards.
    public var row: SkillHealthRow
    /// Its levers and targets, in key order.
    public var levers: [SkillLeverRow]
    /// Time from a failure's detection to its case becoming a guard, in milliseconds.
    public var timeToFixMedian: Int?
    public var timeToFixP90: Int?
    /// Guards created with a recorded time to fix.
    public var timesToFix: Int

    public var skill: String { row.skill }
    public var status: HealthStatus { row.status }
    /// The rule that decided ``status``, with its figures.
    public var rule: String { row.rule }

    /// Lever matched / lever resolved, four decimals; nil before any.
    public var leverAccuracy: String? {
        RowValue.rate(row.leverMatched, of: row.leverResolved)
    }

    /// How often each lever's diagnoses proved right for this skill: of the failures diagnosed
    /// so and resolved by a fix, those whose fix pulled that lever and was not reverted.
    public var diagnosisAccuracy: [DiagnosisAccuracy] {
        DiagnosisAccuracy.of(levers)
    }

    /// Fixes with a verification that was not clean / fixes verified; nil before any.
    public var failedVerificationShare: String? {
        RowValue.rate(row.fixesFailedVerification, of: row.fixesVerified)
    }

    /// Every skill's health (or one skill's), from a view of the read models.
    ///
    /// - Throws: ``LedgerError`` or ``LoopError``.
    public static func read(from view: ReadModelView, skill: String? = nil) throws -> [SkillHealth] {
        let filter: [(column: String, value: RowValue)] = skill.map { [("skill", .text($0))] } ?? []
        let rows = try view.rows(SkillHealthRow.self, matching: filter)
        if let skill, rows.isEmpty { throw LoopError(.notFound, "no skill \(skill) in the ledger") }
        let levers = Dictionary(grouping: try view.rows(SkillLeverRow.self, matching: filter), by: \.skill)
        let times = Dictionary(grouping: try view.rows(SkillFixTimeRow.self, matching: filter), by: \.skill)
        return rows.map { row in
            let sorted = (times[row.skill] ?? []).map(\.milliseconds).sorted()
            return SkillHealth(row: row, levers: levers[row.skill] ?? [], timeToFixMedian: percentile(sorted, 50),
                               timeToFixP90: percentile(sorted, 90), timesToFix: sorted.count)
        }
    }

    /// The nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Int], _ percent: Int) -> Int? {
        guard !sorted.isEmpty else { return nil }
        let rank = (percent * sorted.count + 99) / 100
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }
}

/// How often diagnoses naming one lever proved right: `accurate` of `judged` (failures
/// diagnosed so and resolved by a fix), a reverted fix's diagnosis not counting as accurate.
public struct DiagnosisAccuracy: Sendable, Equatable {
    public var lever: Lever
    public var judged: Int
    public var accurate: Int

    /// Accurate / judged, four decimals; nil before any.
    public var rate: String? { RowValue.rate(accurate, of: judged) }

    /// Per lever, summed over `levers` rows (one skill's, or every skill's for the overall figure).
    public static func of(_ levers: [SkillLeverRow]) -> [DiagnosisAccuracy] {
        Lever.allCases.map { lever in
            let rows = levers.filter { $0.lever == lever }
            return DiagnosisAccuracy(lever: lever, judged: rows.reduce(0) { $0 + $1.judged }, accurate: rows.reduce(0) { $0 + $1.accurate })
        }
    }
}

/// A duration in milliseconds for people: "3d 4h", "2h 5m", "40s".
public func humanDuration(milliseconds: Int) -> String {
    let seconds = milliseconds / 1000
    if seconds >= 86_400 { return "\(seconds / 86_400)d \(seconds % 86_400 / 3600)h" }
    if seconds >= 3600 { return "\(seconds / 3600)h \(seconds % 3600 / 60)m" }
    if seconds >= 60 { return "\(seconds / 60)m \(seconds % 60)s" }
    return "\(seconds)s"
}
