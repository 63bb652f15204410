import Events

/// A regression (`regressions`): a guarded case that failed again, with its last good and first
/// bad run and their commits (the range to bisect), and whether it is still open.
public struct RegressionRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "regressions",
        columns: [
            .init("failure", "TEXT", "the regression's failure id"),
            .init("suite", "TEXT", "the suite"),
            .init("case_key", "TEXT", "the guarded case that failed"),
            .init("last_good_run", "TEXT", "the last run it passed in"),
            .init("last_good_commit", "TEXT", "that run's commit"),
            .init("first_bad_run", "TEXT", "the run it failed in"),
            .init("first_bad_commit", "TEXT", "that run's commit"),
            .init("open", "INTEGER", "1 until resolved"),
            .init("position", "INTEGER", "where it was detected"),
            .init("detected_at", "TEXT", "when"),
        ],
        keyColumns: 1, indexes: [["position"]], documentation: "One row per regression.")

    public var failure: String
    public var suite: String
    public var caseKey: String
    public var lastGoodRun: String?
    public var lastGoodCommit: String?
    public var firstBadRun: String
    public var firstBadCommit: String?
    public var isOpen: Bool
    public var position: Int
    public var detectedAt: String

    public init(failure: String, suite: String, caseKey: String, lastGoodRun: String? = nil, lastGoodCommit: String? = nil,
                firstBadRun: String, firstBadCommit: String?, isOpen: Bool, position: Int, detectedAt: String) {
        self.failure = failure
        self.suite = suite
        self.caseKey = caseKey
        self.lastGoodRun = lastGoodRun
        self.lastGoodCommit = lastGoodCommit
        self.firstBadRun = firstBadRun
        self.firstBadCommit = firstBadCommit
        self.isOpen = isOpen
        self.position = position
        self.detectedAt = detectedAt
    }

    public static func key(failure: String) -> [RowValue] { [.text(failure)] }

    public init(values row: [RowValue]) {
        self.init(failure: row[0].text ?? "", suite: row[1].text ?? "", caseKey: row[2].text ?? "", lastGoodRun: row[3].text,
                  lastGoodCommit: row[4].text, firstBadRun: row[5].text ?? "", firstBadCommit: row[6].text, isOpen: row[7].flag,
                  position: row[8].number, detectedAt: row[9].text ?? "")
    }

    public var values: [RowValue] {
        [.text(failure), .text(suite), .text(caseKey), RowValue(lastGoodRun), RowValue(lastGoodCommit), .text(firstBadRun),
         RowValue(firstBadCommit), RowValue(isOpen), .integer(position), .text(detectedAt)]
    }
}

/// Working state of the regressions (`regression_runs`): the commit each regular run tested.
public struct RegressionRunRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "regression_runs",
        columns: [.init("suite", "TEXT", "the suite"), .init("run_id", "TEXT", "the run"), .init("commit_id", "TEXT", "its commit")],
        keyColumns: 2, documentation: "The commit each regular run tested.")

    public var suite: String
    public var runID: String
    public var commit: String?

    public init(suite: String, runID: String, commit: String?) {
        self.suite = suite
        self.runID = runID
        self.commit = commit
    }

    public static func key(suite: String, runID: String) -> [RowValue] { [.text(suite), .text(runID)] }

    public init(values row: [RowValue]) {
        self.init(suite: row[0].text ?? "", runID: row[1].text ?? "", commit: row[2].text)
    }

    public var values: [RowValue] { [.text(suite), .text(runID), RowValue(commit)] }
}
