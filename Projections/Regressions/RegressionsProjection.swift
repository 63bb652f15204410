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

    public static let regressions = ReadModelTable(
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

    /// Working state: each run's commit.
    static let commits = ReadModelTable(
        name: "regression_runs",
        columns: [.init("suite", "TEXT", "the suite"), .init("run_id", "TEXT", "the run"), .init("commit_id", "TEXT", "its commit")],
        keyColumns: 2, documentation: "The commit each regular run tested.")

    public static let tables = [regressions, commits]

    public static func apply(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        var changes = EventWrites(rows)
        switch LoopEventType(rawValue: event.type) {
        case .evalRunStarted:
            let started = try event.decode(EvalRunStarted.self)
            guard started.verifies == nil else { break }
            changes.put(commits, [.text(started.suite), .text(started.runID), started.commit.map { .text($0) } ?? .null])
        case .failureDetected:
            let detected = try event.decode(FailureDetected.self)
            guard detected.kind == "regression" else { break }
            let commit = try changes.row(commits, [.text(detected.suite), .text(detected.runID)])?[2] ?? .null
            changes.put(regressions, [.text(detected.failure), .text(detected.suite), .text(detected.case), .null, .null,
                                      .text(detected.runID), commit, .integer(1), .integer(event.position), .text(event.recordedAt)])
        case .regressionDetected:
            let regression = try event.decode(RegressionDetected.self)
            guard var row = try changes.row(regressions, [.text(regression.failure)]), let lastGood = regression.lastPassingRun else { break }
            row[3] = .text(lastGood)
            row[4] = try changes.row(commits, [.text(regression.suite), .text(lastGood)])?[2] ?? .null
            changes.put(regressions, row)
        case .failureResolved:
            let resolved = try event.decode(FailureResolved.self)
            guard var row = try changes.row(regressions, [.text(resolved.failure)]) else { break }
            row[7] = .integer(0)
            changes.put(regressions, row)
        default:
            break
        }
        return changes.writes
    }
}
