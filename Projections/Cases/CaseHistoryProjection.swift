import Events

/// Case history: per case, its status now, when it first failed and last passed, how many runs
/// it has been in and how often its result flipped; and its timeline: its first result and
/// every change of result, a run-length history (between two rows the result stayed the same).
///
/// Statuses: `new` (one run, passed), `passing`, `failing` (has never passed), `regression`
/// (failing now, passed before), `fixed` (passing now, failing in the run before), `flaky`
/// (the last run both passed and failed it), `quarantined` (a quarantine is in force). Only
/// regular runs count; verification runs of fixes do not.
///
/// ```sql
/// SELECT case_key, status, first_failing_run, last_passing_run, flips FROM cases
/// WHERE suite = 'golden' AND status IN ('failing', 'regression') ORDER BY case_key;
/// ```
public enum CaseHistoryProjection: Projection {
    public static let name = "cases"
    public static let version = 5
    public static let eventTypes = [
        LoopEventType.evalRunStarted.rawValue, LoopEventType.caseOutcomeRecorded.rawValue,
        LoopEventType.quarantineStarted.rawValue, LoopEventType.quarantineEnded.rawValue, LoopEventType.caseAliased.rawValue,
    ]

    public static let cases = ReadModelTable(
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
        ],
        keyColumns: 2, documentation: "One row per case.")

    public static let timeline = ReadModelTable(
        name: "case_timeline",
        columns: [.init("position", "INTEGER", "the ledger position of the attempt"), .init("suite", "TEXT", "the suite"),
                  .init("case_key", "TEXT", "the case (as it was named when it ran)"), .init("run_id", "TEXT", "the run"),
                  .init("attempt", "INTEGER", "the attempt within the run"), .init("result", "TEXT", "pass, fail, error or skip")],
        keyColumns: 1, indexes: [["suite", "case_key", "position"]], appendOnly: true,
        documentation: """
            Each case's first result and every attempt whose result differs from the attempt before \
            (skips are not results): between two rows of a case its result stayed the same. Indexed by case.
            """)

    /// Working state: the runs, so outcomes know their suite, run id, commit, and whether they verify a fix.
    public static let runs = ReadModelTable(
        name: "case_runs",
        columns: [.init("stream", "TEXT", "the run's stream"), .init("suite", "TEXT", "the suite"), .init("run_id", "TEXT", "the run"),
                  .init("commit_id", "TEXT", "the tested commit"), .init("verifies", "TEXT", "the fix it verifies, if any")],
        keyColumns: 1, documentation: "The runs seen.")

    public static let tables = [cases, timeline, runs]

    private enum C: Int {
        case suite, key, status, lastRun, lastResult, previousResult, runs, flips, firstFailingRun, firstFailingCommit
        case lastPassingRun, lastPassingCommit, flaky, quarantinedUntil, firstPosition, lastPosition, firstAt
    }

    public static func apply(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        func text(_ value: String?) -> RowValue { value.map { .text($0) } ?? .null }
        switch LoopEventType(rawValue: event.type) {
        case .evalRunStarted:
            let started = try event.decode(EvalRunStarted.self)
            return [.upsert(table: runs.name, row: [.text(event.stream), .text(started.suite), .text(started.runID),
                                                    text(started.commit), text(started.verifies)])]
        case .caseOutcomeRecorded:
            guard let run = try rows.row(runs.name, key: [.text(event.stream)]), run[4] == .null,
                  case .text(let suite) = run[1], case .text(let runID) = run[2] else { return [] }
            let outcome = try event.outcome()
            let key = outcome.case, result = outcome.status, attempt = outcome.attempt
            guard result != "skip" else { return [] }
            var writes: [RowWrite] = []
            var row = try rows.row(cases.name, key: [.text(suite), .text(key)]) ?? [
                .text(suite), .text(key), .text("new"), .null, .null, .null, .integer(0), .integer(0), .null, .null, .null, .null,
                .integer(0), .null, .integer(event.position), .integer(event.position), .text(event.recordedAt),
            ]
            // The timeline keeps changes only: nearly every outcome repeats the one before.
            if row[C.lastResult.rawValue] != .text(result) {
                writes.append(.upsert(table: timeline.name, row: [.integer(event.position), .text(suite), .text(key),
                                                                  .text(runID), .integer(attempt), .text(result)]))
            }
            let sameRun = row[C.lastRun.rawValue] == .text(runID)
            if sameRun {
                // Another attempt in the same run: the last one decides; mixed results are flaky.
                if row[C.lastResult.rawValue] != .text(result) { row[C.flaky.rawValue] = .integer(1) }
            } else {
                row[C.previousResult.rawValue] = row[C.lastResult.rawValue]
                row[C.runs.rawValue] = .integer(row[C.runs.rawValue].number + 1)
                if row[C.previousResult.rawValue] != .null && !same(row[C.previousResult.rawValue], result) {
                    row[C.flips.rawValue] = .integer(row[C.flips.rawValue].number + 1)
                }
                row[C.flaky.rawValue] = .integer(0)
                row[C.lastRun.rawValue] = .text(runID)
            }
            row[C.lastResult.rawValue] = .text(result)
            if result == "pass" {
                row[C.lastPassingRun.rawValue] = .text(runID)
                row[C.lastPassingCommit.rawValue] = run[3]
                row[C.firstFailingRun.rawValue] = .null
                row[C.firstFailingCommit.rawValue] = .null
            } else if row[C.firstFailingRun.rawValue] == .null {
                row[C.firstFailingRun.rawValue] = .text(runID)
                row[C.firstFailingCommit.rawValue] = run[3]
            }
            row[C.lastPosition.rawValue] = .integer(event.position)
            row[C.status.rawValue] = .text(status(row))
            writes.append(.upsert(table: cases.name, row: row))
            return writes
        case .quarantineStarted:
            let quarantine = try event.decode(QuarantineStarted.self)
            guard var row = try rows.row(cases.name, key: [.text(quarantine.suite), .text(quarantine.case)]) else { return [] }
            row[C.quarantinedUntil.rawValue] = .text(quarantine.until)
            row[C.status.rawValue] = .text(status(row))
            return [.upsert(table: cases.name, row: row)]
        case .caseAliased:
            // A renamed case keeps its history; its timeline stays under the name it ran as, and
            // starts under the new name with the result it carries (attempt 0: not a run's).
            let alias = try event.decode(CaseAliased.self)
            guard var row = try rows.row(cases.name, key: [.text(alias.suite), .text(alias.from)]) else { return [] }
            row[C.key.rawValue] = .text(alias.to)
            var writes: [RowWrite] = [.delete(table: cases.name, key: [.text(alias.suite), .text(alias.from)]), .upsert(table: cases.name, row: row)]
            if row[C.lastResult.rawValue] != .null {
                writes.append(.upsert(table: timeline.name, row: [.integer(event.position), .text(alias.suite), .text(alias.to),
                                                                  row[C.lastRun.rawValue], .integer(0), row[C.lastResult.rawValue]]))
            }
            return writes
        case .quarantineEnded:
            let ended = try event.decode(QuarantineEnded.self)
            guard var row = try rows.row(cases.name, key: [.text(ended.suite), .text(ended.case)]) else { return [] }
            row[C.quarantinedUntil.rawValue] = .null
            row[C.status.rawValue] = .text(status(row))
            return [.upsert(table: cases.name, row: row)]
        default:
            return []
        }
    }


    /// Pass is pass; fail and error both count as failing for flips.
    private static func same(_ previous: RowValue, _ result: String) -> Bool {
        (previous == .text("pass")) == (result == "pass")
    }

    private static func status(_ row: [RowValue]) -> String {
        if row[C.quarantinedUntil.rawValue] != .null { return "quarantined" }
        if row[C.flaky.rawValue].number == 1 { return "flaky" }
        let passing = row[C.lastResult.rawValue] == .text("pass")
        let previous = row[C.previousResult.rawValue]
        if passing {
            if row[C.runs.rawValue].number == 1 { return "new" }
            return previous != .null && previous != .text("pass") ? "fixed" : "passing"
        }
        return row[C.lastPassingRun.rawValue] == .null ? "failing" : "regression"
    }
}
