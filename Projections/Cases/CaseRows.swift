import Events

/// One case's history (`cases`): its condition now, when it first failed and last passed, how
/// many runs it has been in and how often its result flipped.
public struct CaseRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "cases",
        columns: [
            .init("suite", "TEXT", "the suite"), .init("case_key", "TEXT", "the case"),
            .init("status", "TEXT", "new, passing, failing, regression, fixed, flaky or quarantined"),
            .init("last_run", "TEXT", "the last regular run that ran it"),
            .init("last_result", "TEXT", "its final result there: pass, fail or error"),
            .init("previous_result", "TEXT", "its final result in the run before"),
            .init("runs", "INTEGER", "regular runs that ran it"),
            .init("flips", "INTEGER", "runs whose result differed from the run before"),
            .init("first_failing_run", "TEXT", "the first run it failed in (of its current failing streak)"),
            .init("first_failing_commit", "TEXT", "that run's commit"),
            .init("last_passing_run", "TEXT", "the last run it passed in"),
            .init("last_passing_commit", "TEXT", "that run's commit"),
            .init("flaky", "INTEGER", "1 when its last run both passed and failed it"),
            .init("quarantined_until", "TEXT", "the quarantine's expiry, while one is in force"),
            .init("first_position", "INTEGER", "the ledger position of its first result"),
            .init("last_position", "INTEGER", "the ledger position of its last result"),
            .init("first_at", "TEXT", "when its first result was recorded (its age counts from here)"),
            .init("previous_run", "TEXT", "the regular run before the last that ran it"),
            .init("previous_passing_run", "TEXT", "the last run it passed in, as of before its last run"),
        ],
        keyColumns: 2, documentation: "One row per case.")

    public var suite: String
    public var caseKey: String
    public var condition: CaseCondition = .new
    public var lastRun: String?
    public var lastResult: CaseStatus?
    public var previousResult: CaseStatus?
    public var runs = 0
    public var flips = 0
    public var firstFailingRun: String?
    public var firstFailingCommit: String?
    public var lastPassingRun: String?
    public var lastPassingCommit: String?
    public var isFlaky = false
    public var quarantinedUntil: String?
    public var firstPosition: Int
    public var lastPosition: Int
    public var firstAt: String
    /// As of before ``lastRun``: what a run still in progress has not changed yet.
    public var previousRun: String?
    public var previousPassingRun: String?

    public init(suite: String, caseKey: String, firstPosition: Int, firstAt: String) {
        self.suite = suite
        self.caseKey = caseKey
        self.firstPosition = firstPosition
        self.lastPosition = firstPosition
        self.firstAt = firstAt
    }

    public static func key(suite: String, caseKey: String) -> [RowValue] { [.text(suite), .text(caseKey)] }

    public init(values row: [RowValue]) {
        self.init(suite: row[0].text ?? "", caseKey: row[1].text ?? "", firstPosition: row[14].number, firstAt: row[16].text ?? "")
        condition = row[2].word() ?? .new
        lastRun = row[3].text
        lastResult = row[4].word()
        previousResult = row[5].word()
        runs = row[6].number
        flips = row[7].number
        firstFailingRun = row[8].text
        firstFailingCommit = row[9].text
        lastPassingRun = row[10].text
        lastPassingCommit = row[11].text
        isFlaky = row[12].flag
        quarantinedUntil = row[13].text
        lastPosition = row[15].number
        previousRun = row[17].text
        previousPassingRun = row[18].text
    }

    public var values: [RowValue] {
        [.text(suite), .text(caseKey), RowValue(condition), RowValue(lastRun), RowValue(lastResult), RowValue(previousResult),
         .integer(runs), .integer(flips), RowValue(firstFailingRun), RowValue(firstFailingCommit), RowValue(lastPassingRun),
         RowValue(lastPassingCommit), RowValue(isFlaky), RowValue(quarantinedUntil), .integer(firstPosition), .integer(lastPosition),
         .text(firstAt), RowValue(previousRun), RowValue(previousPassingRun)]
    }
}

/// A change in a case's results (`case_timeline`): its first result and every attempt whose
/// result differs from the attempt before.
public struct CaseTimelineRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "case_timeline",
        columns: [.init("position", "INTEGER", "the ledger position of the attempt"), .init("suite", "TEXT", "the suite"),
                  .init("case_key", "TEXT", "the case (as it was named when it ran)"), .init("run_id", "TEXT", "the run"),
                  .init("attempt", "INTEGER", "the attempt within the run"), .init("result", "TEXT", "pass, fail, error or skip")],
        keyColumns: 1, indexes: [["suite", "case_key", "position"]], appendOnly: true, positionColumn: "position",
        documentation: """
            Each case's first result and every attempt whose result differs from the attempt before \\
            (skips are not results): between two rows of a case its result stayed the same. Indexed by case.
            """)

    public var position: Int
    public var suite: String
    public var caseKey: String
    public var runID: String
    /// The attempt within the run; 0 for the result a renamed case carries over.
    public var attempt: Int
    public var result: CaseStatus

    public init(position: Int, suite: String, caseKey: String, runID: String, attempt: Int, result: CaseStatus) {
        self.position = position
        self.suite = suite
        self.caseKey = caseKey
        self.runID = runID
        self.attempt = attempt
        self.result = result
    }

    public init(values row: [RowValue]) {
        self.init(position: row[0].number, suite: row[1].text ?? "", caseKey: row[2].text ?? "", runID: row[3].text ?? "",
                  attempt: row[4].number, result: row[5].word() ?? .skip)
    }

    public var values: [RowValue] {
        [.integer(position), .text(suite), .text(caseKey), .text(runID), .integer(attempt), RowValue(result)]
    }
}

/// Working state of the case history (`case_runs`): each run, so outcomes know their suite,
/// run id, commit, and whether they verify a fix.
public struct CaseRunRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "case_runs",
        columns: [.init("stream", "TEXT", "the run's stream"), .init("suite", "TEXT", "the suite"), .init("run_id", "TEXT", "the run"),
                  .init("commit_id", "TEXT", "the tested commit"), .init("verifies", "TEXT", "the fix it verifies, if any")],
        keyColumns: 1, documentation: "The runs seen.")

    public var stream: String
    public var suite: String
    public var runID: String
    public var commit: String?
    public var verifies: String?

    public init(stream: String, suite: String, runID: String, commit: String?, verifies: String?) {
        self.stream = stream
        self.suite = suite
        self.runID = runID
        self.commit = commit
        self.verifies = verifies
    }

    public static func key(stream: String) -> [RowValue] { [.text(stream)] }

    public init(values row: [RowValue]) {
        self.init(stream: row[0].text ?? "", suite: row[1].text ?? "", runID: row[2].text ?? "", commit: row[3].text, verifies: row[4].text)
    }

    public var values: [RowValue] { [.text(stream), .text(suite), .text(runID), RowValue(commit), RowValue(verifies)] }
}
