import Events

/// The ratchet's history: per regular run, how many guards there were, how many held, how
/// many slipped, the pass rate, and the high-water mark of guards held.
///
/// ```sql
/// SELECT run_id, guards_total, guards_held, slips, pass_rate, high_water
/// FROM ratchet_runs WHERE suite = 'golden' ORDER BY position;
/// ```
public enum RatchetProjection: Projection {
    public static let name = "ratchet"
    public static let version = 5
    public static let eventTypes = [
        LoopEventType.evalRunStarted.rawValue, LoopEventType.evalRunCompleted.rawValue,
        LoopEventType.failureResolved.rawValue, LoopEventType.failureDetected.rawValue,
        LoopEventType.guardRetired.rawValue, LoopEventType.caseAliased.rawValue,
    ]

    public static let runs = ReadModelTable(
        name: "ratchet_runs",
        columns: [
            .init("suite", "TEXT", "the suite"),
            .init("position", "INTEGER", "the ledger position where the run completed (orders the runs)"),
            .init("run_id", "TEXT", "the run"),
            .init("guards_total", "INTEGER", "guards not retired when the run completed"),
            .init("guards_held", "INTEGER", "of those, how many were not slipped"),
            .init("slips", "INTEGER", "regressions the run detected"),
            .init("tests", "INTEGER", "test cases in the run's reports"),
            .init("pass_rate", "TEXT", "passed / (tests - skipped), four decimals, as text"),
            .init("high_water", "INTEGER", "the most guards held in any run so far"),
            .init("completed_at", "TEXT", "when the run completed"),
            .init("ran", "INTEGER", "tests - skipped"),
            .init("passed", "INTEGER", "of those, passed"),
            .init("started_position", "INTEGER", "where the run started (what came after it waited at least this run)"),
        ],
        keyColumns: 2,
        documentation: "One row per completed regular run (verification runs are not the ratchet's).")

    /// Working state: each guard's state, and per suite the running counts.
    public static let guardStates = ReadModelTable(
        name: "ratchet_guards",
        columns: [.init("suite", "TEXT", "the suite"), .init("case_key", "TEXT", "the guarded case"),
                  .init("state", "TEXT", "holding, slipped or retired"), .init("failure", "TEXT", "the open regression, when slipped")],
        keyColumns: 2, documentation: "The guards as the ratchet counts them.")

    public static let suites = ReadModelTable(
        name: "ratchet_suites",
        columns: [.init("suite", "TEXT", "the suite"), .init("guards_total", "INTEGER", "guards not retired"),
                  .init("slipped", "INTEGER", "guards slipped"), .init("high_water", "INTEGER", "most guards held in a run")],
        keyColumns: 1, documentation: "Per suite counts.")

    /// Working state: verification runs in progress (any number, in any suite).
    /// Working state: runs in progress (any number, in any suite), so a completion knows where
    /// its run started and whether it verified a fix.
    static let openRuns = ReadModelTable(
        name: "ratchet_open_runs",
        columns: [.init("stream", "TEXT", "the stream of a run in progress"),
                  .init("started_position", "INTEGER", "where it started"),
                  .init("verification", "INTEGER", "1 when it verifies a fix")],
        keyColumns: 1, documentation: "Runs started and not yet completed.")

    public static let tables = [runs, guardStates, suites, openRuns]

    public static func apply(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        func suiteRow(_ suite: String) throws -> [RowValue] {
            try rows.row(suites.name, key: [.text(suite)]) ?? [.text(suite), .integer(0), .integer(0), .integer(0)]
        }
        func count(_ row: [RowValue], _ column: Int) -> Int { row[column].number }
        func adjust(_ suite: String, total: Int = 0, slipped: Int = 0) throws -> RowWrite {
            var row = try suiteRow(suite)
            row[1] = .integer(count(row, 1) + total)
            row[2] = .integer(count(row, 2) + slipped)
            return .upsert(table: suites.name, row: row)
        }

        switch LoopEventType(rawValue: event.type) {
        case .evalRunStarted:
            // Verification runs are not the ratchet's: their completion is skipped.
            let started = try event.decode(EvalRunStarted.self)
            return [.upsert(table: openRuns.name, row: [.text(event.stream), .integer(event.position), .integer(started.verifies == nil ? 0 : 1)])]
        case .evalRunCompleted:
            let completed = try event.decode(EvalRunCompleted.self)
            let open = try rows.row(openRuns.name, key: [.text(event.stream)])
            let finished = RowWrite.delete(table: openRuns.name, key: [.text(event.stream)])
            if open?[2] == .integer(1) { return [finished] }
            var suite = try suiteRow(completed.suite)
            let total = count(suite, 1), held = total - count(suite, 2)
            let highWater = max(count(suite, 3), held)
            suite[3] = .integer(highWater)
            let ran = completed.tests - completed.skipped
            let passed = ran - completed.failures - completed.errors
            return [
                finished,
                .upsert(table: suites.name, row: suite),
                .upsert(table: runs.name, row: [
                    .text(completed.suite), .integer(event.position), .text(completed.runID), .integer(total), .integer(held),
                    .integer(completed.regressions), .integer(completed.tests), .text(RowValue.rate(passed, of: ran)), .integer(highWater),
                    .text(event.recordedAt), .integer(ran), .integer(passed), open?[1] ?? .integer(event.position),
                ]),
            ]
        case .failureResolved:
            let resolved = try event.decode(FailureResolved.self)
            let key: [RowValue] = [.text(resolved.suite), .text(resolved.case)]
            let existing = try rows.row(guardStates.name, key: key)
            if resolved.becameGuard {
                let wasCounted = existing.map { $0[2] != .text("retired") } ?? false
                let wasSlipped = existing?[2] == .text("slipped")
                return [.upsert(table: guardStates.name, row: key + [.text("holding"), .null]),
                        try adjust(resolved.suite, total: wasCounted ? 0 : 1, slipped: wasSlipped ? -1 : 0)]
            }
            if let existing, existing[3] == .text(resolved.failure) {
                return [.upsert(table: guardStates.name, row: key + [.text("holding"), .null]), try adjust(resolved.suite, slipped: -1)]
            }
        case .failureDetected:
            let detected = try event.decode(FailureDetected.self)
            let key: [RowValue] = [.text(detected.suite), .text(detected.case)]
            if detected.kind == "regression", let existing = try rows.row(guardStates.name, key: key), existing[2] == .text("holding") {
                return [.upsert(table: guardStates.name, row: key + [.text("slipped"), .text(detected.failure)]),
                        try adjust(detected.suite, slipped: 1)]
            }
        case .guardRetired:
            let retired = try event.decode(GuardRetired.self)
            let key: [RowValue] = [.text(retired.suite), .text(retired.case)]
            if let existing = try rows.row(guardStates.name, key: key), existing[2] != .text("retired") {
                return [.upsert(table: guardStates.name, row: key + [.text("retired"), .null]),
                        try adjust(retired.suite, total: -1, slipped: existing[2] == .text("slipped") ? -1 : 0)]
            }
        case .caseAliased:
            let alias = try event.decode(CaseAliased.self)
            if let existing = try rows.row(guardStates.name, key: [.text(alias.suite), .text(alias.from)]) {
                return [.delete(table: guardStates.name, key: [.text(alias.suite), .text(alias.from)]),
                        .upsert(table: guardStates.name, row: [.text(alias.suite), .text(alias.to), existing[2], existing[3]])]
            }
        default:
            break
        }
        return []
    }
}
