import Events
import Projections

/// The loop's working state as a read model: every failure, fix, run, guard, open failure,
/// quarantine, suite and the totals, one row each, kept up to date the way the other read
/// models are (in the write transaction, from the events since its checkpoint).
///
/// Why: a decision (a detection, a gate, a merge) reads a handful of entities, but folding the
/// loop's events to find them costs the whole history, which grows by tens of thousands of
/// events a day. Here each event changes exactly the rows of what it touches (``LoopKeys``),
/// computed by the same ``LoopState/apply(_:stream:)`` the full fold uses: the rows are the
/// entities a full fold would hold, which the tests check for random histories. Case
/// outcomes are left out: a run's outcomes stay on its stream, and each case's last result
/// is the case history's (``CaseRow``).
///
/// ```sql
/// SELECT failure, case_key FROM loop_failures WHERE open = 1 ORDER BY failure;
/// ```
public enum LoopWorkingSet: Projection {
    public static let name = "loop"
    public static let version = 3
    /// Decisions read it as of now only.
    public static let keepsSnapshots = false
    /// Every type but outcomes (read from their runs' streams) and `loop run`'s steps (read
    /// from their items' streams, ``LoopStateLoader/loopItem(_:)``).
    public static let eventTypes = LoopEventType.allCases
        .filter { ![.caseOutcomeRecorded, .loopStepStarted, .loopStepEnded].contains($0) }.map(\.rawValue)
    public static let tables = [
        LoopFailureRow.table, LoopOpenFailureRow.table, LoopFixRow.table, LoopGuardRow.table, LoopRunRow.table,
        LoopSuiteRow.table, LoopQuarantineRow.table, LoopTotalsRow.table,
    ]

    public static func apply(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        let decoded = try LoopEvent(event)
        let keys = LoopKeys(applying: decoded, stream: event.stream)
        var state = LoopState()
        try LoopEntities { try rows.row($0.name, key: $1) }.load(keys, into: &state)
        state.apply(decoded, stream: event.stream)
        return try keys.writes(state)
    }

    /// An entity as its row stores it.
    static func text(_ value: some Encodable) throws -> String {
        String(decoding: try LoopPayload.encode(value), as: UTF8.self)
    }

    /// An entity from its row.
    static func value<T: Decodable>(_: T.Type, _ text: String) throws -> T {
        try LoopPayload.decode(T.self, from: Array(text.utf8))
    }
}

/// Reads entities from the working set's rows into a state: exactly the keys asked for, and
/// nothing they lead to (see ``LoopStateLoader`` for what a decision needs besides).
struct LoopEntities {
    /// A table's row by key.
    let read: (ReadModelTable, [RowValue]) throws -> [RowValue]?

    private func row<Row: ReadModelRow>(_: Row.Type, key: [RowValue]) throws -> Row? {
        try read(Row.table, key).map(Row.init(values:))
    }

    func load(_ keys: LoopKeys, into state: inout LoopState) throws {
        for id in keys.failures { try loadFailure(id, into: &state) }
        for id in keys.fixes { try loadFix(id, into: &state) }
        for stream in keys.runs { try loadRun(stream, into: &state) }
        for id in keys.cases { try loadCase(id, into: &state) }
        for suite in keys.suites { try loadSuite(suite, into: &state) }
        if keys.totals { try loadTotals(into: &state) }
    }

    func loadFailure(_ id: String, into state: inout LoopState) throws {
        guard let row = try row(LoopFailureRow.self, key: LoopFailureRow.key(id)) else { return }
        state.failures[id] = try LoopWorkingSet.value(LoopState.Failure.self, row.state)
    }

    func loadFix(_ id: String, into state: inout LoopState) throws {
        guard let row = try row(LoopFixRow.self, key: LoopFixRow.key(id)) else { return }
        state.fixes[id] = try LoopWorkingSet.value(LoopState.Fix.self, row.state)
    }

    /// A run without its outcomes.
    func loadRun(_ stream: String, into state: inout LoopState) throws {
        guard let row = try row(LoopRunRow.self, key: LoopRunRow.key(stream)) else { return }
        state.runs[stream] = try LoopWorkingSet.value(LoopState.Run.self, row.state)
    }

    /// A case's open failure, guard and quarantine (not its history: see ``LoopStateLoader``).
    func loadCase(_ id: SuiteCase, into state: inout LoopState) throws {
        try loadOpenFailure(id, into: &state)
        try loadGuard(id, into: &state)
        try loadQuarantine(id, into: &state)
    }

    func loadOpenFailure(_ id: SuiteCase, into state: inout LoopState) throws {
        if let row = try row(LoopOpenFailureRow.self, key: LoopOpenFailureRow.key(id)) { state.openFailureByCase[id] = row.failure }
    }

    func loadGuard(_ id: SuiteCase, into state: inout LoopState) throws {
        if let row = try row(LoopGuardRow.self, key: LoopGuardRow.key(id)) {
            state.guards[id] = try LoopWorkingSet.value(LoopState.Guard.self, row.state)
        }
    }

    func loadQuarantine(_ id: SuiteCase, into state: inout LoopState) throws {
        if let row = try row(LoopQuarantineRow.self, key: LoopQuarantineRow.key(id)) {
            state.quarantines[id] = try LoopWorkingSet.value(QuarantineStarted.self, row.state)
        }
    }

    func loadSuite(_ suite: String, into state: inout LoopState) throws {
        guard let row = try row(LoopSuiteRow.self, key: LoopSuiteRow.key(suite)) else { return }
        try add(row, to: &state)
    }

    func add(_ row: LoopSuiteRow, to state: inout LoopState) throws {
        state.lastCompleteRun[row.suite] = row.lastCompleteRun
        state.datasets[row.suite] = try row.dataset.map { try LoopWorkingSet.value(DatasetDeclared.self, $0) }
        state.pendingDatasets[row.suite] = try row.pendingDataset.map { try LoopWorkingSet.value(DatasetDeclared.self, $0) }
    }

    func loadTotals(into state: inout LoopState) throws {
        guard let row = try row(LoopTotalsRow.self, key: LoopTotalsRow.key) else { return }
        state.failureCount = row.failures
        state.policy = try row.policy.map { try LoopWorkingSet.value(PolicyAdopted.self, $0) }
    }
}
