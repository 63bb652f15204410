import Events
import Projections
import RemediationLoop

/// `remedy stats --by suite|skill`: runs, cases run and passed, per suite or skill and period.
public struct PeriodStats: Sendable, Equatable {
    /// The length of the periods runs are grouped into (`--period`).
    public enum Period: String, Sendable, CaseIterable {
        case day, week, month, all

        /// The period a recorded time falls in: `2026-11-25`, `2026-W48 (from 2026-11-23)` style
        /// week keys by their Monday, `2026-11`, or `all`.
        func key(_ recordedAt: String) -> String {
            switch self {
            case .day: return String(recordedAt.prefix(10))
            case .month: return String(recordedAt.prefix(7))
            case .all: return "all"
            case .week:
                guard let time = try? Timestamp(parsing: recordedAt) else { return String(recordedAt.prefix(10)) }
                let day = Int(time.millisecondsSinceEpoch / 86_400_000)
                // 1970-01-01 was a Thursday: Monday-based weeks start 3 days earlier.
                let monday = day - ((day + 3) % 7 + 7) % 7
                return "week of " + String(Timestamp(millisecondsSinceEpoch: Int64(monday) * 86_400_000).description.prefix(10))
            }
        }
    }

    /// The period (see ``Period/key(_:)``).
    public var period: String
    /// The suite or skill.
    public var name: String
    public var runs: Int
    public var ran: Int
    public var passed: Int
    /// Regressions the runs detected (suites only).
    public var slips: Int
    /// Guards held at the period's last run (suites only).
    public var guardsHeld: Int

    /// passed / ran, four decimals; nil when nothing ran.
    public var passRate: String? {
        RowValue.rate(passed, of: ran)
    }

    /// Per suite and period, from the ratchet's runs.
    public static func bySuite(_ view: ReadModelView, period: Period) throws -> [PeriodStats] {
        let rows = try view.rows(RatchetRunRow.self).sorted { $0.position < $1.position }
        return group(rows.map { row in
            (key: period.key(row.completedAt), name: row.suite, ran: row.ran, passed: row.passed, slips: row.slips, held: row.guardsHeld)
        })
    }

    /// Per skill and period, from the skills' run history.
    public static func bySkill(_ view: ReadModelView, period: Period) throws -> [PeriodStats] {
        return group(try view.rows(SkillRunRow.self).map { row in
            (key: period.key(row.completedAt), name: row.skill, ran: row.ran, passed: row.passed, slips: 0, held: 0)
        })
    }

    /// Sums runs (in ledger order) by period and name; periods in order, names sorted within.
    private static func group(_ runs: [(key: String, name: String, ran: Int, passed: Int, slips: Int, held: Int)]) -> [PeriodStats] {
        var order: [String] = []
        var stats: [String: [String: PeriodStats]] = [:]
        for run in runs {
            if stats[run.key] == nil { order.append(run.key) }
            var entry = stats[run.key, default: [:]][run.name]
                ?? PeriodStats(period: run.key, name: run.name, runs: 0, ran: 0, passed: 0, slips: 0, guardsHeld: 0)
            entry.runs += 1
            entry.ran += run.ran
            entry.passed += run.passed
            entry.slips += run.slips
            entry.guardsHeld = run.held
            stats[run.key, default: [:]][run.name] = entry
        }
        return order.flatMap { key in stats[key]!.values.sorted { $0.name < $1.name } }
    }

}
