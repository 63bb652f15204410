import Projections

/// What `remedy health` shows of one skill: its `skill_health` row, its levers, and the figures
/// computed when asked (time to fix, how often the diagnosed lever was the right one).
public struct SkillHealth: Sendable, Equatable {
    /// The `skill_health` row, by column name (the names are the JSON contract).
    public var columns: [(name: String, value: RowValue)]
    /// `skill_levers` rows of the skill: lever, target, diagnosed, fixes proposed, merged, resolved.
    public var levers: [[RowValue]]
    /// Time from a failure's detection to its case becoming a guard, in milliseconds.
    public var timeToFixMedian: Int?
    public var timeToFixP90: Int?
    /// Guards created with a recorded time to fix.
    public var timesToFix: Int

    public var skill: String { value("skill").text ?? "" }
    public var status: String { value("status").text ?? "" }
    /// The rule that decided ``status``, with its figures.
    public var rule: String { value("rule").text ?? "" }
    /// Over the last runs, four decimals ("" before any run).
    public var passRate: String { value("pass_rate").text ?? "" }
    /// up, down, flat, or "".
    public var trend: String { value("trend").text ?? "" }
    public var cases: Int { integer("cases") }
    public var openFailures: Int { integer("open_failures") }
    public var guards: Int { integer("guards") }
    public var regressions: Int { integer("regressions") }

    public func value(_ column: String) -> RowValue {
        columns.first { $0.name == column }?.value ?? .null
    }

    public func integer(_ column: String) -> Int {
        if case .integer(let number) = value(column) { return number }
        return 0
    }

    /// Lever matched / lever resolved, four decimals ("" before any).
    public var leverAccuracy: String {
        RowValue.rate(integer("lever_matched"), of: integer("lever_resolved"))
    }

    /// Fixes with a verification that was not clean / fixes verified.
    public var failedVerificationShare: String {
        RowValue.rate(integer("fixes_failed_verification"), of: integer("fixes_verified"))
    }

    public static func == (lhs: SkillHealth, rhs: SkillHealth) -> Bool {
        lhs.columns.map(\.name) == rhs.columns.map(\.name) && lhs.columns.map(\.value) == rhs.columns.map(\.value)
            && lhs.levers == rhs.levers && lhs.timeToFixMedian == rhs.timeToFixMedian && lhs.timeToFixP90 == rhs.timeToFixP90
            && lhs.timesToFix == rhs.timesToFix
    }

    /// Every skill's health (or one skill's), from a view of the read models.
    ///
    /// - Throws: ``LedgerError`` or ``LoopError``.
    public static func read(from view: ReadModelView, skill: String? = nil) throws -> [SkillHealth] {
        let filter: [(column: String, value: RowValue)] = skill.map { [("skill", .text($0))] } ?? []
        let rows = try view.rows(SkillHealthProjection.health, matching: filter)
        if let skill, rows.isEmpty { throw LoopError(.notFound, "no skill \(skill) in the ledger") }
        let levers = Dictionary(grouping: try view.rows(SkillHealthProjection.leverHealth, matching: filter)) { $0[0] }
        var times: [RowValue: [Int]] = [:]
        for row in try view.rows(SkillHealthProjection.fixTimes, matching: filter) {
            if case .integer(let milliseconds) = row[4] { times[row[0], default: []].append(milliseconds) }
        }
        let names = SkillHealthProjection.health.columns.map(\.name)
        return rows.map { row in
            let sorted = (times[row[0]] ?? []).sorted()
            return SkillHealth(columns: Array(zip(names, row)).map { (name: $0.0, value: $0.1) },
                               levers: (levers[row[0]] ?? []).map { Array($0.dropFirst()) },
                               timeToFixMedian: percentile(sorted, 50), timeToFixP90: percentile(sorted, 90), timesToFix: sorted.count)
        }
    }

    /// The nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Int], _ percent: Int) -> Int? {
        guard !sorted.isEmpty else { return nil }
        let rank = (percent * sorted.count + 99) / 100
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
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
