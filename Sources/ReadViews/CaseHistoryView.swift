import Events
import Projections
import RemediationLoop

/// What `remedy case` shows: a case's `cases` row, its result changes, its age, its flip rate
/// and the failure open for it.
public struct CaseHistory: Sendable, Equatable {
    /// The case's row: its condition, last results, runs, flips and streaks.
    public var row: CaseRow
    /// Its first result and every change.
    public var timeline: [CaseTimelineRow]
    /// The failure open for it now, if any (the id `diagnose` and `propose` take).
    public var openFailure: String?
    /// Regular runs it has been in.
    public var ageRuns: Int { row.runs }
    /// Time since its first result, by the clock given.
    public var ageMilliseconds: Int
    /// Runs whose result differed from the run before / (runs − 1), four decimals; nil under two runs.
    public var flipRate: String? {
        RowValue.rate(row.flips, of: row.runs - 1)
    }

    /// A case's history as a view sees it; `now` is the clock its age is measured by.
    ///
    /// - Throws: ``LoopError`` (`.notFound`) for an unknown case, `.invalidArgument` for a key
    ///   in several suites without `suite`.
    public static func read(_ key: String, suite: String? = nil, in view: ReadModelView, now: Timestamp) throws -> CaseHistory {
        let matches = try view.rows(CaseRow.self, matching: [("case_key", .text(key))] + (suite.map { [("suite", .text($0))] } ?? []))
        guard let row = matches.first else { throw LoopError(.notFound, "no case \(key)\(suite.map { " in suite \($0)" } ?? "")") }
        guard matches.count == 1 else {
            throw LoopError(.invalidArgument, "\(key) is a case in several suites (\(matches.map(\.suite).joined(separator: ", "))); pass --suite")
        }
        let same: [(column: String, value: RowValue)] = [("suite", .text(row.suite)), ("case_key", .text(row.caseKey))]
        let timeline = try view.rows(CaseTimelineRow.self, matching: same)
        let openFailure = try view.rows(QueueFailureRow.self, matching: same + [("open", RowValue(true))]).last?.failure
        return CaseHistory(row: row, timeline: timeline, openFailure: openFailure,
                           ageMilliseconds: now.milliseconds(since: row.firstAt) ?? 0)
    }
}
