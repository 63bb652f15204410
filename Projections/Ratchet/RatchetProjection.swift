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

    public static let runs = RatchetRunRow.table
    public static let tables = [RatchetRunRow.table, RatchetGuardRow.table, RatchetSuiteRow.table, RatchetOpenRunRow.table]

    public static func apply(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        func suiteRow(_ suite: String) throws -> RatchetSuiteRow {
            try rows.row(RatchetSuiteRow.self, key: RatchetSuiteRow.key(suite: suite)) ?? RatchetSuiteRow(suite: suite)
        }
        func adjust(_ suite: String, total: Int = 0, slipped: Int = 0) throws -> RowWrite {
            var row = try suiteRow(suite)
            row.guardsTotal += total
            row.slipped += slipped
            return .put(row)
        }
        func guardRow(_ suite: String, _ key: String) throws -> RatchetGuardRow? {
            try rows.row(RatchetGuardRow.self, key: RatchetGuardRow.key(suite: suite, caseKey: key))
        }

        switch event.loopType {
        case .evalRunStarted:
            // Verification runs are not the ratchet's: their completion is skipped.
            let started = try event.decode(EvalRunStarted.self)
            return [.put(RatchetOpenRunRow(stream: event.stream, startedPosition: event.position, isVerification: started.verifies != nil))]
        case .evalRunCompleted:
            let completed = try event.decode(EvalRunCompleted.self)
            let open = try rows.row(RatchetOpenRunRow.self, key: RatchetOpenRunRow.key(stream: event.stream))
            let finished = RowWrite.remove(RatchetOpenRunRow.self, key: RatchetOpenRunRow.key(stream: event.stream))
            if open?.isVerification == true { return [finished] }
            var suite = try suiteRow(completed.suite)
            let held = suite.guardsTotal - suite.slipped
            suite.highWater = max(suite.highWater, held)
            let ran = completed.tests - completed.skipped
            let passed = ran - completed.failures - completed.errors
            return [
                finished,
                .put(suite),
                .put(RatchetRunRow(suite: completed.suite, position: event.position, runID: completed.runID, guardsTotal: suite.guardsTotal,
                                   guardsHeld: held, slips: completed.regressions, tests: completed.tests, passRate: RowValue.rate(passed, of: ran),
                                   highWater: suite.highWater, completedAt: event.recordedAt, ran: ran, passed: passed,
                                   startedPosition: open?.startedPosition ?? event.position)),
            ]
        case .failureResolved:
            let resolved = try event.decode(FailureResolved.self)
            let existing = try guardRow(resolved.suite, resolved.case)
            let holding = RatchetGuardRow(suite: resolved.suite, caseKey: resolved.case, state: .holding)
            if resolved.becameGuard {
                let wasCounted = existing?.state.isActive ?? false
                let wasSlipped = existing?.state == .slipped
                return [.put(holding), try adjust(resolved.suite, total: wasCounted ? 0 : 1, slipped: wasSlipped ? -1 : 0)]
            }
            if let existing, existing.slippedFailure == resolved.failure {
                return [.put(holding), try adjust(resolved.suite, slipped: -1)]
            }
        case .failureDetected:
            let detected = try event.decode(FailureDetected.self)
            if detected.kind == .regression, let existing = try guardRow(detected.suite, detected.case), existing.state == .holding {
                return [.put(RatchetGuardRow(suite: detected.suite, caseKey: detected.case, state: .slipped, slippedFailure: detected.failure)),
                        try adjust(detected.suite, slipped: 1)]
            }
        case .guardRetired:
            let retired = try event.decode(GuardRetired.self)
            if let existing = try guardRow(retired.suite, retired.case), existing.state.isActive {
                return [.put(RatchetGuardRow(suite: retired.suite, caseKey: retired.case, state: .retired)),
                        try adjust(retired.suite, total: -1, slipped: existing.state == .slipped ? -1 : 0)]
            }
        case .caseAliased:
            let alias = try event.decode(CaseAliased.self)
            if var existing = try guardRow(alias.suite, alias.from) {
                let old = existing.key
                existing.caseKey = alias.to
                return [.remove(RatchetGuardRow.self, key: old), .put(existing)]
            }
        default:
            break
        }
        return []
    }
}
