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
    public static let version = 6
    public static let eventTypes = [
        LoopEventType.evalRunStarted.rawValue, LoopEventType.caseOutcomeRecorded.rawValue,
        LoopEventType.quarantineStarted.rawValue, LoopEventType.quarantineEnded.rawValue, LoopEventType.caseAliased.rawValue,
    ]

    public static let cases = CaseRow.table
    public static let timeline = CaseTimelineRow.table
    public static let tables = [CaseRow.table, CaseTimelineRow.table, CaseRunRow.table]

    public static func apply(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        switch event.loopType {
        case .evalRunStarted:
            let started = try event.decode(EvalRunStarted.self)
            return [.put(CaseRunRow(stream: event.stream, suite: started.suite, runID: started.runID, commit: started.commit, verifies: started.verifies))]
        case .caseOutcomeRecorded:
            guard let run = try rows.row(CaseRunRow.self, key: CaseRunRow.key(stream: event.stream)), run.verifies == nil else { return [] }
            let outcome = try event.outcome()
            let key = outcome.case, result = outcome.status
            guard result != .skip else { return [] }
            var writes: [RowWrite] = []
            var row = try rows.row(CaseRow.self, key: CaseRow.key(suite: run.suite, caseKey: key))
                ?? CaseRow(suite: run.suite, caseKey: key, firstPosition: event.position, firstAt: event.recordedAt)
            // The timeline keeps changes only: nearly every outcome repeats the one before.
            if row.lastResult != result {
                writes.append(.put(CaseTimelineRow(position: event.position, suite: run.suite, caseKey: key, runID: run.runID,
                                                   attempt: outcome.attempt, result: result)))
            }
            if row.lastRun == run.runID {
                // Another attempt in the same run: the last one decides; mixed results are flaky.
                if row.lastResult != result { row.isFlaky = true }
            } else {
                row.previousResult = row.lastResult
                row.previousRun = row.lastRun
                row.previousPassingRun = row.lastPassingRun
                row.runs += 1
                if let previous = row.previousResult, (previous == .pass) != (result == .pass) { row.flips += 1 }
                row.isFlaky = false
                row.lastRun = run.runID
            }
            row.lastResult = result
            if result == .pass {
                row.lastPassingRun = run.runID
                row.lastPassingCommit = run.commit
                row.firstFailingRun = nil
                row.firstFailingCommit = nil
            } else if row.firstFailingRun == nil {
                row.firstFailingRun = run.runID
                row.firstFailingCommit = run.commit
            }
            row.lastPosition = event.position
            row.condition = condition(row)
            writes.append(.put(row))
            return writes
        case .quarantineStarted:
            let quarantine = try event.decode(QuarantineStarted.self)
            guard var row = try rows.row(CaseRow.self, key: CaseRow.key(suite: quarantine.suite, caseKey: quarantine.case)) else { return [] }
            row.quarantinedUntil = quarantine.until
            row.condition = condition(row)
            return [.put(row)]
        case .caseAliased:
            // A renamed case keeps its history; its timeline stays under the name it ran as, and
            // starts under the new name with the result it carries (attempt 0: not a run's).
            let alias = try event.decode(CaseAliased.self)
            guard var row = try rows.row(CaseRow.self, key: CaseRow.key(suite: alias.suite, caseKey: alias.from)) else { return [] }
            let old = row.key
            row.caseKey = alias.to
            var writes: [RowWrite] = [.remove(CaseRow.self, key: old), .put(row)]
            if let last = row.lastResult {
                writes.append(.put(CaseTimelineRow(position: event.position, suite: alias.suite, caseKey: alias.to, runID: row.lastRun ?? "",
                                                   attempt: 0, result: last)))
            }
            return writes
        case .quarantineEnded:
            let ended = try event.decode(QuarantineEnded.self)
            guard var row = try rows.row(CaseRow.self, key: CaseRow.key(suite: ended.suite, caseKey: ended.case)) else { return [] }
            row.quarantinedUntil = nil
            row.condition = condition(row)
            return [.put(row)]
        default:
            return []
        }
    }

    /// Pass is pass; fail and error both count as failing for flips and conditions.
    private static func condition(_ row: CaseRow) -> CaseCondition {
        if row.quarantinedUntil != nil { return .quarantined }
        if row.isFlaky { return .flaky }
        if row.lastResult == .pass {
            if row.runs == 1 { return .new }
            return row.previousResult != nil && row.previousResult != .pass ? .fixed : .passing
        }
        return row.lastPassingRun == nil ? .failing : .regression
    }
}
