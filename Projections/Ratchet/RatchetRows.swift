import Events

/// One completed regular run in the ratchet's history (`ratchet_runs`): how many guards there
/// were, how many held, how many slipped, the pass rate, and the high-water mark.
public struct RatchetRunRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "ratchet_runs",
        columns: [
            .init("suite", "TEXT", "the suite"),
            .init("position", "INTEGER", "the ledger position where the run completed (orders the runs)"),
            .init("run_id", "TEXT", "the run"),
            .init("guards_total", "INTEGER", "guards not retired when the run completed"),
            .init("guards_held", "INTEGER", "of those, how many were not slipped"),
            .init("slips", "INTEGER", "regressions the run detected"),
            .init("tests", "INTEGER", "test cases in the run's reports"),
            .init("pass_rate", "TEXT", "passed / (tests - skipped), four decimals, as text (empty when nothing ran)"),
            .init("high_water", "INTEGER", "the most guards held in any run so far"),
            .init("completed_at", "TEXT", "when the run completed"),
            .init("ran", "INTEGER", "tests - skipped"),
            .init("passed", "INTEGER", "of those, passed"),
            .init("started_position", "INTEGER", "where the run started (what came after it waited at least this run)"),
        ],
        keyColumns: 2,
        documentation: "One row per completed regular run (verification runs are not the ratchet's).")

    public var suite: String
    public var position: Int
    public var runID: String
    public var guardsTotal: Int
    public var guardsHeld: Int
    public var slips: Int
    public var tests: Int
    /// `passed / ran` with four decimals ("0.9500"); nil when nothing ran.
    public var passRate: String?
    public var highWater: Int
    public var completedAt: String
    public var ran: Int
    public var passed: Int
    public var startedPosition: Int

    public init(suite: String, position: Int, runID: String, guardsTotal: Int, guardsHeld: Int, slips: Int, tests: Int,
                passRate: String?, highWater: Int, completedAt: String, ran: Int, passed: Int, startedPosition: Int) {
        self.suite = suite
        self.position = position
        self.runID = runID
        self.guardsTotal = guardsTotal
        self.guardsHeld = guardsHeld
        self.slips = slips
        self.tests = tests
        self.passRate = passRate
        self.highWater = highWater
        self.completedAt = completedAt
        self.ran = ran
        self.passed = passed
        self.startedPosition = startedPosition
    }

    public init(values row: [RowValue]) {
        self.init(suite: row[0].text ?? "", position: row[1].number, runID: row[2].text ?? "", guardsTotal: row[3].number,
                  guardsHeld: row[4].number, slips: row[5].number, tests: row[6].number,
                  passRate: row[7].text.flatMap { $0.isEmpty ? nil : $0 }, highWater: row[8].number, completedAt: row[9].text ?? "",
                  ran: row[10].number, passed: row[11].number, startedPosition: row[12].number)
    }

    public var values: [RowValue] {
        [.text(suite), .integer(position), .text(runID), .integer(guardsTotal), .integer(guardsHeld), .integer(slips), .integer(tests),
         .text(passRate ?? ""), .integer(highWater), .text(completedAt), .integer(ran), .integer(passed), .integer(startedPosition)]
    }
}

/// Working state of the ratchet (`ratchet_guards`): each guard as the ratchet counts it.
public struct RatchetGuardRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "ratchet_guards",
        columns: [.init("suite", "TEXT", "the suite"), .init("case_key", "TEXT", "the guarded case"),
                  .init("state", "TEXT", "holding, slipped or retired"), .init("failure", "TEXT", "the open regression, when slipped")],
        keyColumns: 2, documentation: "The guards as the ratchet counts them.")

    public var suite: String
    public var caseKey: String
    public var state: GuardState
    public var slippedFailure: String?

    public init(suite: String, caseKey: String, state: GuardState, slippedFailure: String? = nil) {
        self.suite = suite
        self.caseKey = caseKey
        self.state = state
        self.slippedFailure = slippedFailure
    }

    public static func key(suite: String, caseKey: String) -> [RowValue] { [.text(suite), .text(caseKey)] }

    public init(values row: [RowValue]) {
        self.init(suite: row[0].text ?? "", caseKey: row[1].text ?? "", state: row[2].word() ?? .holding, slippedFailure: row[3].text)
    }

    public var values: [RowValue] { [.text(suite), .text(caseKey), RowValue(state), RowValue(slippedFailure)] }
}

/// Working state of the ratchet (`ratchet_suites`): per suite, the running counts.
public struct RatchetSuiteRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "ratchet_suites",
        columns: [.init("suite", "TEXT", "the suite"), .init("guards_total", "INTEGER", "guards not retired"),
                  .init("slipped", "INTEGER", "guards slipped"), .init("high_water", "INTEGER", "most guards held in a run")],
        keyColumns: 1, documentation: "Per suite counts.")

    public var suite: String
    public var guardsTotal = 0
    public var slipped = 0
    public var highWater = 0

    public init(suite: String) {
        self.suite = suite
    }

    public static func key(suite: String) -> [RowValue] { [.text(suite)] }

    public init(values row: [RowValue]) {
        suite = row[0].text ?? ""
        guardsTotal = row[1].number
        slipped = row[2].number
        highWater = row[3].number
    }

    public var values: [RowValue] { [.text(suite), .integer(guardsTotal), .integer(slipped), .integer(highWater)] }
}

/// Working state of the ratchet (`ratchet_open_runs`): runs in progress (any number, in any
/// suite), so a completion knows where its run started and whether it verified a fix.
public struct RatchetOpenRunRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "ratchet_open_runs",
        columns: [.init("stream", "TEXT", "the stream of a run in progress"),
                  .init("started_position", "INTEGER", "where it started"),
                  .init("verification", "INTEGER", "1 when it verifies a fix")],
        keyColumns: 1, documentation: "Runs started and not yet completed.")

    public var stream: String
    public var startedPosition: Int
    public var isVerification: Bool

    public init(stream: String, startedPosition: Int, isVerification: Bool) {
        self.stream = stream
        self.startedPosition = startedPosition
        self.isVerification = isVerification
    }

    public static func key(stream: String) -> [RowValue] { [.text(stream)] }

    public init(values row: [RowValue]) {
        self.init(stream: row[0].text ?? "", startedPosition: row[1].number, isVerification: row[2].flag)
    }

    public var values: [RowValue] { [.text(stream), .integer(startedPosition), RowValue(isVerification)] }
}
