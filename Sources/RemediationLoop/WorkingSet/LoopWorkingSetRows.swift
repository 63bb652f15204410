import Events
import Projections

// The tables of the loop's working set (``LoopWorkingSet``): each entity the loop decides on,
// stored whole as the canonical JSON of its ``LoopState`` value and found by its key, so a
// command reads the few it touches instead of folding the history that made them.

/// A failure of the loop (`loop_failures`): its detection, diagnoses, fixes and resolution.
public struct LoopFailureRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "loop_failures",
        columns: [
            .init("failure", "TEXT", "the failure id"), .init("suite", "TEXT", "its suite"), .init("case_key", "TEXT", "its case"),
            .init("open", "INTEGER", "1 until it is resolved"),
            .init("state", "TEXT", "the failure as the loop holds it (canonical JSON)"),
            .init("detected_run", "TEXT", "the run it was detected in"),
            .init("resolved_run", "TEXT", "the run it was resolved in, NULL while open"),
        ],
        keyColumns: 1, indexes: [["suite", "detected_run"], ["suite", "resolved_run"], ["suite", "case_key"]],
        documentation: "One row per failure ever detected.")

    public var failure: String
    public var suite: String
    public var caseKey: String
    public var isOpen: Bool
    public var state: String
    public var detectedRun: String
    public var resolvedRun: String?

    public init(values row: [RowValue]) {
        failure = row[0].text ?? ""; suite = row[1].text ?? ""; caseKey = row[2].text ?? ""; isOpen = row[3].flag; state = row[4].text ?? ""
        detectedRun = row[5].text ?? ""; resolvedRun = row[6].text
    }

    init(_ failure: LoopState.Failure) throws {
        self.failure = failure.id
        suite = failure.detected.suite
        caseKey = failure.detected.case
        isOpen = failure.isOpen
        state = try LoopWorkingSet.text(failure)
        detectedRun = failure.detected.runID
        resolvedRun = failure.resolved?.runID
    }

    public var values: [RowValue] {
        [.text(failure), .text(suite), .text(caseKey), RowValue(isOpen), .text(state), .text(detectedRun), RowValue(resolvedRun)]
    }
    public static func key(_ failure: String) -> [RowValue] { [.text(failure)] }
}

/// The open failure of a case (`loop_open_failures`): what a passing result resolves.
public struct LoopOpenFailureRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "loop_open_failures",
        columns: [.init("suite", "TEXT", "the suite"), .init("case_key", "TEXT", "the case"), .init("failure", "TEXT", "its open failure")],
        keyColumns: 2, indexes: [["case_key"]], documentation: "One row per case with an open failure.")

    public var suiteCase: SuiteCase
    public var failure: String

    public init(values row: [RowValue]) {
        suiteCase = SuiteCase(suite: row[0].text ?? "", key: row[1].text ?? ""); failure = row[2].text ?? ""
    }

    init(_ suiteCase: SuiteCase, failure: String) {
        self.suiteCase = suiteCase
        self.failure = failure
    }

    public var values: [RowValue] { [.text(suiteCase.suite), .text(suiteCase.key), .text(failure)] }
    public static func key(_ id: SuiteCase) -> [RowValue] { [.text(id.suite), .text(id.key)] }
}

/// A proposed fix (`loop_fixes`): its proposal, verification, gate decision, reviews, merge.
public struct LoopFixRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "loop_fixes",
        columns: [.init("fix", "TEXT", "the fix id"), .init("state", "TEXT", "the fix as the loop holds it (canonical JSON)")],
        keyColumns: 1, documentation: "One row per fix ever proposed.")

    public var fix: String
    public var state: String

    public init(values row: [RowValue]) { fix = row[0].text ?? ""; state = row[1].text ?? "" }

    init(_ fix: LoopState.Fix) throws {
        self.fix = fix.id
        state = try LoopWorkingSet.text(fix)
    }

    public var values: [RowValue] { [.text(fix), .text(state)] }
    public static func key(_ fix: String) -> [RowValue] { [.text(fix)] }
}

/// A regression guard as the loop checks it (`loop_guards`).
public struct LoopGuardRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "loop_guards",
        columns: [
            .init("suite", "TEXT", "the suite"), .init("case_key", "TEXT", "the guarded case"),
            .init("active", "INTEGER", "1 until a person retires it"),
            .init("state", "TEXT", "the guard as the loop holds it (canonical JSON)"),
        ],
        keyColumns: 2, documentation: "One row per case that became a guard.")

    public var suiteCase: SuiteCase
    public var isActive: Bool
    public var state: String

    public init(values row: [RowValue]) {
        suiteCase = SuiteCase(suite: row[0].text ?? "", key: row[1].text ?? ""); isActive = row[2].flag; state = row[3].text ?? ""
    }

    init(_ guarded: LoopState.Guard) throws {
        suiteCase = guarded.suiteCase
        isActive = guarded.isActive
        state = try LoopWorkingSet.text(guarded)
    }

    public var values: [RowValue] { [.text(suiteCase.suite), .text(suiteCase.key), RowValue(isActive), .text(state)] }
    public static func key(_ id: SuiteCase) -> [RowValue] { [.text(id.suite), .text(id.key)] }
}

/// A run (`loop_runs`): its start, completion and, while open, what its completion must agree
/// with. Its outcomes stay on its stream.
public struct LoopRunRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "loop_runs",
        columns: [
            .init("stream", "TEXT", "the run's stream"), .init("suite", "TEXT", "its suite"), .init("run_id", "TEXT", "its run id"),
            .init("open", "INTEGER", "1 until it completes"),
            .init("state", "TEXT", "the run as the loop holds it, without its outcomes (canonical JSON)"),
        ],
        keyColumns: 1, indexes: [["open"]], documentation: "One row per run ever started.")

    public var stream: String
    public var suite: String
    public var runID: String
    public var isOpen: Bool
    public var state: String

    public init(values row: [RowValue]) {
        stream = row[0].text ?? ""; suite = row[1].text ?? ""; runID = row[2].text ?? ""; isOpen = row[3].flag; state = row[4].text ?? ""
    }

    init(stream: String, _ run: LoopState.Run) throws {
        self.stream = stream
        suite = run.started.suite
        runID = run.started.runID
        isOpen = run.completed == nil
        state = try LoopWorkingSet.text(run)
    }

    public var values: [RowValue] { [.text(stream), .text(suite), .text(runID), RowValue(isOpen), .text(state)] }
    public static func key(_ stream: String) -> [RowValue] { [.text(stream)] }
}

/// A suite (`loop_suites`): its last complete regular run and its golden dataset.
public struct LoopSuiteRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "loop_suites",
        columns: [
            .init("suite", "TEXT", "the suite"),
            .init("last_complete_run", "TEXT", "the stream of its last completed regular run"),
            .init("dataset", "TEXT", "its declared golden dataset (canonical JSON)"),
            .init("pending_dataset", "TEXT", "a dataset whose parts are still being recorded (canonical JSON)"),
        ],
        keyColumns: 1, documentation: "One row per suite with a completed run or a dataset.")

    public var suite: String
    public var lastCompleteRun: String?
    public var dataset: String?
    public var pendingDataset: String?

    public init(values row: [RowValue]) {
        suite = row[0].text ?? ""; lastCompleteRun = row[1].text; dataset = row[2].text; pendingDataset = row[3].text
    }

    init(suite: String, lastCompleteRun: String?, dataset: DatasetDeclared?, pendingDataset: DatasetDeclared?) throws {
        self.suite = suite
        self.lastCompleteRun = lastCompleteRun
        self.dataset = try dataset.map(LoopWorkingSet.text)
        self.pendingDataset = try pendingDataset.map(LoopWorkingSet.text)
    }

    public var values: [RowValue] { [.text(suite), RowValue(lastCompleteRun), RowValue(dataset), RowValue(pendingDataset)] }
    public static func key(_ suite: String) -> [RowValue] { [.text(suite)] }
}

/// A quarantine in force (`loop_quarantines`).
public struct LoopQuarantineRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "loop_quarantines",
        columns: [
            .init("suite", "TEXT", "the suite"), .init("case_key", "TEXT", "the quarantined case"),
            .init("state", "TEXT", "its QuarantineStarted (canonical JSON)"),
        ],
        keyColumns: 2, documentation: "One row per case quarantined now.")

    public var suiteCase: SuiteCase
    public var state: String

    public init(values row: [RowValue]) {
        suiteCase = SuiteCase(suite: row[0].text ?? "", key: row[1].text ?? ""); state = row[2].text ?? ""
    }

    init(_ started: QuarantineStarted) throws {
        suiteCase = SuiteCase(suite: started.suite, key: started.case)
        state = try LoopWorkingSet.text(started)
    }

    public var values: [RowValue] { [.text(suiteCase.suite), .text(suiteCase.key), .text(state)] }
    public static func key(_ id: SuiteCase) -> [RowValue] { [.text(id.suite), .text(id.key)] }
}

/// The loop's totals (`loop_totals`, one row): failures detected so far, the policy in force.
public struct LoopTotalsRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "loop_totals",
        columns: [
            .init("id", "INTEGER", "always 1"), .init("failures", "INTEGER", "failures detected so far"),
            .init("policy", "TEXT", "the last PolicyAdopted (canonical JSON), NULL for the default"),
        ],
        keyColumns: 1, documentation: "One row.")

    public var failures: Int
    public var policy: String?

    public init(values row: [RowValue]) { failures = row[1].number; policy = row[2].text }

    init(failures: Int, policy: PolicyAdopted?) throws {
        self.failures = failures
        self.policy = try policy.map(LoopWorkingSet.text)
    }

    public var values: [RowValue] { [.integer(1), .integer(failures), RowValue(policy)] }
    public static let key: [RowValue] = [.integer(1)]
}
