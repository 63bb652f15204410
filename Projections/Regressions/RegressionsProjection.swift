import Events

/// Regressions: every guarded case that failed again, with its last good and first bad run
/// and their commits (the range to bisect), and whether it is still open.
///
/// ```sql
/// SELECT failure, case_key, last_good_commit, first_bad_commit FROM regressions WHERE open = 1 ORDER BY position;
/// ```
public enum RegressionsProjection: Projection {
    public static let name = "regressions"
    public static let version = 1
    public static let eventTypes = [
        LoopEventType.evalRunStarted, .failureDetected, .regressionDetected, .failureResolved,
    ].map(\.rawValue)

    public static let regressions = RegressionRow.table
    public static let tables = [RegressionRow.table, RegressionRunRow.table]

    public static func apply(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        var changes = EventWrites(rows)
        func commit(_ suite: String, _ run: String) throws -> String? {
            try changes.row(RegressionRunRow.self, RegressionRunRow.key(suite: suite, runID: run))?.commit
        }
        switch event.loopType {
        case .evalRunStarted:
            let started = try event.decode(EvalRunStarted.self)
            guard started.verifies == nil else { break }
            changes.put(RegressionRunRow(suite: started.suite, runID: started.runID, commit: started.commit))
        case .failureDetected:
            let detected = try event.decode(FailureDetected.self)
            guard detected.kind == .regression else { break }
            changes.put(RegressionRow(failure: detected.failure, suite: detected.suite, caseKey: detected.case, firstBadRun: detected.runID,
                                      firstBadCommit: try commit(detected.suite, detected.runID), isOpen: true,
                                      position: event.position, detectedAt: event.recordedAt))
        case .regressionDetected:
            let regression = try event.decode(RegressionDetected.self)
            guard var row = try changes.row(RegressionRow.self, RegressionRow.key(failure: regression.failure)),
                  let lastGood = regression.lastPassingRun else { break }
            row.lastGoodRun = lastGood
            row.lastGoodCommit = try commit(regression.suite, lastGood)
            changes.put(row)
        case .failureResolved:
            let resolved = try event.decode(FailureResolved.self)
            guard var row = try changes.row(RegressionRow.self, RegressionRow.key(failure: resolved.failure)) else { break }
            row.isOpen = false
            changes.put(row)
        default:
            break
        }
        return changes.writes
    }
}
