import Events
import Projections

/// What `remedy case` shows: a case's `cases` row, its result changes, its age and flip rate.
public struct CaseHistory: Sendable, Equatable {
    /// The `cases` row, by column name (the names are the JSON contract).
    public var columns: [(name: String, value: RowValue)]
    /// Its first result and every change: run, attempt, result.
    public var timeline: [(run: String, attempt: Int, result: String)]
    /// Regular runs it has been in.
    public var ageRuns: Int
    /// Time since its first result, by the clock given.
    public var ageMilliseconds: Int
    /// Runs whose result differed from the run before / (runs − 1), four decimals ("" under two runs).
    public var flipRate: String

    public static func == (lhs: CaseHistory, rhs: CaseHistory) -> Bool {
        lhs.columns.map(\.name) == rhs.columns.map(\.name) && lhs.columns.map(\.value) == rhs.columns.map(\.value)
            && lhs.timeline.map { "\($0.run) \($0.attempt) \($0.result)" } == rhs.timeline.map { "\($0.run) \($0.attempt) \($0.result)" }
            && lhs.ageRuns == rhs.ageRuns && lhs.ageMilliseconds == rhs.ageMilliseconds && lhs.flipRate == rhs.flipRate
    }

    /// A case's history as a view sees it; `now` is the clock its age is measured by.
    ///
    /// - Throws: ``LoopError`` (`.notFound`) for an unknown case, `.invalidArgument` for a key
    ///   in several suites without `suite`.
    public static func read(_ key: String, suite: String? = nil, in view: ReadModelView, now: Timestamp) throws -> CaseHistory {
        let table = CaseHistoryProjection.cases
        let matches = try view.rows(table, matching: [("case_key", .text(key))] + (suite.map { [("suite", .text($0))] } ?? []))
        guard let row = matches.first else { throw LoopError(.notFound, "no case \(key)\(suite.map { " in suite \($0)" } ?? "")") }
        guard matches.count == 1 else {
            throw LoopError(.invalidArgument, "\(key) is a case in several suites (\(matches.compactMap { $0[0].text }.joined(separator: ", "))); pass --suite")
        }
        let timeline = try view.rows(CaseHistoryProjection.timeline, matching: [("suite", row[0]), ("case_key", row[1])]).map { entry in
            (run: entry[3].text ?? "", attempt: { if case .integer(let n) = entry[4] { return n } else { return 0 } }(), result: entry[5].text ?? "")
        }
        func int(_ column: String) -> Int {
            if let index = table.column(column), case .integer(let value) = row[index] { return value }
            return 0
        }
        let firstAt = table.column("first_at").flatMap { row[$0].text }
        let runs = int("runs")
        return CaseHistory(columns: zip(table.columns, row).map { (name: $0.0.name, value: $0.1) }, timeline: timeline, ageRuns: runs,
                           ageMilliseconds: firstAt.flatMap { now.milliseconds(since: $0) } ?? 0,
                           flipRate: RowValue.rate(int("flips"), of: runs - 1))
    }
}
