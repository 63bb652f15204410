import Events
import LedgerStore
import Projections

/// The loop's state for decisions inside a write transaction, read from the working set
/// (``LoopWorkingSet``) and the case history (``CaseRow``): what is always at hand (the open
/// runs with their outcomes, the suites, the totals), and each other entity when a decision
/// first asks for it, with what it leads to (a failure's fixes, a fix's failures and its
/// verification run, a case's open failure, guard, quarantine and last results).
///
/// So a command costs what it touches, not the ledger's length. What it reads equals what a
/// fold of every event holds for the same entities (``LoopState/fold(_:through:)``), which
/// the tests check for random histories.
///
/// ```swift
/// let loader = try LoopStateLoader(writer)
/// try loader.prepare(for: event, stream: stream)   // the entities the rules read
/// try loader.state.check(event, stream: stream)
/// loader.state.apply(event, stream: stream)
/// ```
public final class LoopStateLoader {
    /// The state so far: what was loaded, and what the caller applied since.
    public var state = LoopState()
    private let writer: any EventStoreWriter
    private let entities: LoopEntities
    /// The regular run open in each suite: the case history already holds its outcomes.
    private var openRegularRun: [String: String] = [:]
    /// Every event was folded (two regular runs of one suite open at once): nothing to load.
    private var isComplete = false
    private var failures: Set<String> = []
    private var fixes: Set<String> = []
    private var runs: Set<String> = []
    private var caseKeys: Set<String> = []
    private var loopItems: Set<String> = []
    private var records: Set<LoopState.AutonomyKey> = []
    private var coveredSuites: Set<String> = []
    /// What is loaded of each case, by part (a case, or a whole suite at once): once loaded,
    /// a part is the caller's to change, never read again.
    private var openFailures = LoadedParts(), guards = LoadedParts(), quarantines = LoadedParts(), histories = LoadedParts()

    /// The cases (or suites) whose rows of one part are loaded.
    private struct LoadedParts {
        var cases: Set<SuiteCase> = []
        var suites: Set<String> = []

        /// Marks a case loaded; false if it (or its suite) was.
        mutating func insert(_ id: SuiteCase) -> Bool {
            !suites.contains(id.suite) && cases.insert(id).inserted
        }
    }

    /// Past this many cases of one suite, a part is read for the whole suite in one query.
    private static let suiteReadThreshold = 64

    /// Catches up the working set and the case history, and loads what is always at hand.
    ///
    /// - Throws: ``LedgerError`` when the ledger cannot be read, ``LoopError`` when a row or
    ///   an event is damaged.
    public init(_ writer: any EventStoreWriter) throws {
        self.writer = writer
        entities = LoopEntities { try writer.row(of: $0, key: $1) }
        try writer.catchUp([CaseHistoryProjection.self, LoopWorkingSet.self, AutonomyRecordProjection.self])
        try damaged("the loop's working set") {
            try entities.loadTotals(into: &state)
            for row in try writer.rows(LoopSuiteRow.self) { try entities.add(row, to: &state) }
            for row in try writer.rows(LoopRunRow.self, matching: [("open", .integer(1))]) {
                state.runs[row.stream] = try LoopWorkingSet.value(LoopState.Run.self, row.state)
                runs.insert(row.stream)
            }
        }
        let open = state.runs.values.filter { $0.started.verifies == nil }.map(\.started)
        openRegularRun = Dictionary(open.map { ($0.suite, $0.runID) }) { first, _ in first }
        guard openRegularRun.count == open.count else {
            // Two runs of one suite open at once (only a hand-written history does that): the
            // case history cannot say which came first, so fold every event instead.
            state = try LoopState.fold { query, body in try writer.forEachEvent(query, body) }
            isComplete = true
            return
        }
        for stream in runs.sorted() { try foldOutcomes(of: stream) }
    }

    // MARK: - What decisions ask for

    /// Loads what the loop's rules read to check `event`, and what applying it changes.
    ///
    /// - Throws: as ``init(_:)``.
    public func prepare(for event: LoopEvent, stream: String) throws {
        guard !isComplete else { return }
        let keys = LoopKeys(applying: event, stream: stream)
        for id in keys.failures { try failure(id) }
        for id in keys.fixes { try fix(id) }
        for name in keys.runs { try run(name) }
        for id in keys.cases { try suiteCase(id) }
        switch event {
        case .evalRunStarted(let started):
            if let fix = started.verifies { try self.fix(fix) }
        case .evalRunCompleted:
            // Every open failure of the suite (each case the run ended passes or fails), and
            // where each came from.
            if let run = state.runs[stream], run.started.verifies == nil { try openFailures(ofSuite: run.started.suite) }
        case .regressionDetected(let regression):
            try failure(regression.failure)
            try suiteCase(SuiteCase(suite: regression.suite, key: regression.case))
            if let fix = regression.guardFix { try self.fix(fix); try record(ofFix: fix) }
        case .fixMerged(let merged):
            try record(ofFix: merged.fix)
        case .fixReverted(let reverted):
            try record(ofFix: reverted.fix)
        case .fixVerified(let verified):
            try coverage(verified.suite)
            if let run = state.runs[try LoopStreams.run(suite: verified.suite, run: verified.runID).rawValue] {
                try cases(verified.suite, run.finalStatus.keys)
            }
        case .gateDecided(let decided):
            try gate(fix: decided.fix)
        case .loopStepStarted(let started):
            try loopItem(started.item)
        case .loopStepEnded(let ended):
            try loopItem(ended.item)
        default:
            break
        }
    }

    /// Loads the cases of the outcomes among `events` whose runs are open, a suite at a time
    /// (``cases(_:_:)``): a batch's window of outcomes then costs a few queries, not a few
    /// per case.
    public func prepare(outcomes events: [ProposedEvent]) throws {
        guard !isComplete else { return }
        try prepare(detectedFailures: events)
        var bySuite: [String: [String]] = [:]
        // A window's outcomes are mostly one run's: its suite is looked up (copying the run)
        // when the stream changes, not for each.
        var lastStream: String?, lastSuite: String?
        for event in events {
            guard let outcome = event.outcome else { continue }
            let stream = event.stream.rawValue
            if stream != lastStream {
                lastStream = stream
                lastSuite = state.runs[stream]?.started.suite
            }
            guard let suite = lastSuite else { continue }
            bySuite[suite, default: []].append(outcome.case)
        }
        for (suite, keys) in bySuite.sorted(by: { $0.key < $1.key }) where keys.count > Self.suiteReadThreshold {
            try cases(suite, keys)
        }
    }

    /// Asks in one query which of the failures that `events` detect are stored already: the
    /// rest are new, and need no lookup each when their detection is checked.
    private func prepare(detectedFailures events: [ProposedEvent]) throws {
        let ids = try events.filter { $0.type.rawValue == LoopEventType.failureDetected.rawValue }.compactMap { event -> String? in
            let id = try? LoopPayload.decode(FailureDetected.self, from: event.data).failure
            return id.flatMap { failures.contains($0) || state.failures[$0] != nil ? nil : $0 }
        }
        guard ids.count > 1 else { return }
        let stored = try writer.storedKeys(of: LoopFailureRow.table, among: ids.map { .text($0) })
        for id in ids where !stored.contains(.text(id)) { failures.insert(id) }   // known absent: nothing to load
    }

    /// Loads what the gate reads of a fix: its failures, verification and what it must cover,
    /// and the record its kind has earned.
    public func gate(fix id: String) throws {
        try fix(id)
        try record(ofFix: id)
        guard let current = state.fixes[id] else { return }
        if let suite = state.suite(of: current) { try coverage(suite) }
        if let verification = current.verification { try coverage(verification.suite) }
    }

    /// Loads a failure, its fixes and their runs.
    public func failure(_ id: String) throws {
        guard !isComplete, failures.insert(id).inserted, state.failures[id] == nil else { return }
        try damaged("failure \(id)") { try entities.loadFailure(id, into: &state) }
        for fix in state.failures[id]?.fixes ?? [] { try self.fix(fix) }
    }

    /// Loads a fix, its failures and its verification run.
    public func fix(_ id: String) throws {
        guard !isComplete, fixes.insert(id).inserted, state.fixes[id] == nil else { return }
        try damaged("fix \(id)") { try entities.loadFix(id, into: &state) }
        guard let fix = state.fixes[id] else { return }
        for failure in fix.proposal.failures { try self.failure(failure) }
        if let verification = fix.verification { try run(try LoopStreams.run(suite: verification.suite, run: verification.runID).rawValue) }
    }

    /// Loads the earned record of a fix's kind (origin and lever), once.
    public func record(ofFix id: String) throws {
        try fix(id)
        guard !isComplete, let fix = state.fixes[id] else { return }
        let key = LoopState.AutonomyKey(fix.proposal)
        guard records.insert(key).inserted, state.autonomyRecords[key] == nil else { return }
        if let row = try writer.row(of: AutonomyRecordRow.table, key: AutonomyRecordRow.key(origin: key.origin, lever: key.lever)) {
            state.autonomyRecords[key] = AutonomyRecordRow(values: row)
        }
    }

    /// Loads what `remedy loop run` did with an item (a failure or a fix), after the item;
    /// only its events before `position`, when given (the door checks an event it has just
    /// appended against the state before it).
    public func loopItem(_ id: String, before position: Int? = nil) throws {
        guard !isComplete, loopItems.insert(id).inserted else { return }
        try failure(id)
        try fix(id)
        var query = EventQuery()
        query.streams = [try LoopStreams.loopItem(id)]
        query.toPosition = position.map { $0 - 1 }
        try damaged("loop item \(id)") {
            try LoopState.fold(query, into: &state) { query, body in try writer.forEachEvent(query, body) }
        }
    }

    /// Loads a run, with its outcomes when a decision reads them (a verification run, the
    /// suite's last complete run).
    public func run(_ stream: String) throws {
        guard !isComplete, runs.insert(stream).inserted, state.runs[stream] == nil else { return }
        try damaged("run \(stream)") { try entities.loadRun(stream, into: &state) }
        guard let run = state.runs[stream] else { return }
        if run.started.verifies != nil || state.lastCompleteRun[run.started.suite] == stream { try foldOutcomes(of: stream) }
    }

    /// Loads a case: its last results, open failure (and that failure), guard and quarantine.
    public func suiteCase(_ id: SuiteCase) throws {
        guard !isComplete else { return }
        try damaged("case \(id)") {
            if openFailures.insert(id) { try entities.loadOpenFailure(id, into: &state) }
            if guards.insert(id) { try entities.loadGuard(id, into: &state) }
            if quarantines.insert(id) { try entities.loadQuarantine(id, into: &state) }
            if histories.insert(id), let row = try writer.row(of: CaseRow.table, key: CaseRow.key(suite: id.suite, caseKey: id.key)) {
                add(CaseRow(values: row))
            }
        }
        if let open = state.openFailureByCase[id] { try failure(open) }
    }

    /// Loads cases of a suite: one by one, or, for many, each part for the whole suite.
    public func cases(_ suite: String, _ keys: some Collection<String>) throws {
        guard !isComplete else { return }
        guard keys.count > Self.suiteReadThreshold else {
            for key in keys { try suiteCase(SuiteCase(suite: suite, key: key)) }
            return
        }
        try openFailures(ofSuite: suite)
        try guards(ofSuite: suite)
        try damaged("the cases of suite \(suite)") {
            let bySuite: [(column: String, value: RowValue)] = [("suite", .text(suite))]
            if quarantines.suites.insert(suite).inserted {
                for row in try writer.rows(LoopQuarantineRow.self, matching: bySuite) where !quarantines.cases.contains(row.suiteCase) {
                    state.quarantines[row.suiteCase] = try LoopWorkingSet.value(QuarantineStarted.self, row.state)
                }
            }
            if histories.suites.insert(suite).inserted {
                // Streamed: a suite's rows at once would cost more than the state they give.
                try writer.forEachRow(CaseRow.self, matching: bySuite) { row in
                    if !histories.cases.contains(SuiteCase(suite: row.suite, key: row.caseKey)) { add(row) }
                }
            }
        }
    }

    /// Loads every open failure of a suite (the loop's working set), and those failures.
    public func openFailures(ofSuite suite: String) throws {
        try openFailureIDs(ofSuite: suite)
        guard !isComplete, suitesWithFailuresLoaded.insert(suite).inserted else { return }
        let open = state.openFailureByCase.filter { $0.key.suite == suite }.map(\.value)
        for failure in open { try self.failure(failure) }
    }

    /// Loads the ids of a suite's open failures into ``state`` (not the failures).
    private func openFailureIDs(ofSuite suite: String) throws {
        guard !isComplete, openFailures.suites.insert(suite).inserted else { return }
        try damaged("the open failures of suite \(suite)") {
            // Streamed: tens of thousands of rows at once would cost more than the map they fill.
            try writer.forEachRow(LoopOpenFailureRow.self, matching: [("suite", .text(suite))]) { row in
                guard !openFailures.cases.contains(row.suiteCase) else { return }
                state.openFailureByCase[SuiteCase(suite: shared(row.suiteCase.suite), key: row.suiteCase.key)] = row.failure
            }
        }
    }
    private var suitesWithFailuresLoaded: Set<String> = []

    /// Calls `body` with each open failure of `suite` (its case key, then its id) in the order
    /// of the case keys' UTF-8 bytes, keeping none: an ingest checks each against its run once,
    /// and a suite may have tens of thousands open (about 190 bytes each in ``state``).
    ///
    /// Reads the rows unless some of the suite's open failures were loaded (and may have been
    /// changed since): then from ``state``.
    public func forEachOpenFailure(ofSuite suite: String, _ body: (_ caseKey: String, _ failure: String) throws -> Void) throws {
        if isComplete || openFailures.suites.contains(suite) || openFailures.cases.contains(where: { $0.suite == suite }) {
            try openFailureIDs(ofSuite: suite)
            let open = state.openFailureByCase.filter { $0.key.suite == suite }.sorted { RowValue.textPrecedes($0.key.key, $1.key.key) }
            for (id, failure) in open { try body(id.key, failure) }
            return
        }
        // The table's key is (suite, case key): rows come in byte order of the case keys.
        try writer.forEachRow(LoopOpenFailureRow.self, matching: [("suite", .text(suite))]) { row in
            try body(row.suiteCase.key, row.failure)
        }
    }

    /// A case's last results from its history row.
    private func add(_ row: CaseRow) {
        guard let state = caseState(row) else { return }
        self.state.cases[SuiteCase(suite: shared(row.suite), key: row.caseKey)] = state
    }

    /// A case's last results, read from its history row and not kept: what a detection reads
    /// once for each new failure, of which a run may have tens of thousands.
    public func lastResults(of id: SuiteCase) throws -> LoopState.CaseState? {
        if isComplete || histories.suites.contains(id.suite) || histories.cases.contains(id) { return state.cases[id] }
        return try writer.row(of: CaseRow.table, key: CaseRow.key(suite: id.suite, caseKey: id.key)).flatMap { caseState(CaseRow(values: $0)) }
    }

    private func caseState(_ row: CaseRow) -> LoopState.CaseState? {
        guard row.lastResult != nil else { return nil }
        // A regular run still open has changed the case's row already, but not the loop's
        // cases (they change when it completes): read the case as of before it.
        let inOpenRun = row.lastRun != nil && openRegularRun[row.suite] == row.lastRun
        guard let status = inOpenRun ? row.previousResult : row.lastResult else { return nil }
        let lastPassingRun = (inOpenRun ? row.previousPassingRun : row.lastPassingRun).map(shared)
        return LoopState.CaseState(lastStatus: status, lastRun: (inOpenRun ? row.previousRun : row.lastRun).map(shared),
                                   lastPassingRun: lastPassingRun, everPassed: lastPassingRun != nil)
    }

    /// One copy of each suite and run name among the cases loaded: a suite of 100,000 cases
    /// names a few runs, and each longer than 15 bytes would otherwise be stored 100,000 times.
    private func shared(_ name: String) -> String {
        if let known = sharedNames[name] { return known }
        if sharedNames.count < 4096 { sharedNames[name] = name }
        return name
    }
    private var sharedNames: [String: String] = [:]

    /// Loads every case of this key with an open failure, in any suite.
    public func casesNamed(_ key: String) throws {
        guard !isComplete, caseKeys.insert(key).inserted else { return }
        for row in try writer.rows(LoopOpenFailureRow.self, matching: [("case_key", .text(key))]) { try suiteCase(row.suiteCase) }
    }

    /// Loads what a verification of `suite` must cover (``LoopState/mustCover(suite:)``): every
    /// guard of the suite and its last complete run.
    public func coverage(_ suite: String) throws {
        guard !isComplete, coveredSuites.insert(suite).inserted else { return }
        try guards(ofSuite: suite)
        if let last = state.lastCompleteRun[suite] { try run(last) }
    }

    /// Loads every guard of a suite (but those of cases loaded already, which are the caller's).
    public func guards(ofSuite suite: String) throws {
        guard !isComplete, guards.suites.insert(suite).inserted else { return }
        try damaged("the guards of suite \(suite)") {
            for row in try writer.rows(LoopGuardRow.self, matching: [("suite", .text(suite))]) where !guards.cases.contains(row.suiteCase) {
                state.guards[row.suiteCase] = try LoopWorkingSet.value(LoopState.Guard.self, row.state)
            }
        }
    }

    // MARK: - Helpers

    private func foldOutcomes(of stream: String) throws {
        var outcomes = EventQuery()
        outcomes.streams = [try StreamName(stream)]
        outcomes.types = [LoopEventType.caseOutcomeRecorded.rawValue]
        try LoopState.fold(outcomes, into: &state) { query, body in try writer.forEachEvent(query, body) }
    }

    /// Runs `body`, naming a row that does not decode as damage to repair with a rebuild.
    private func damaged(_ what: String, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as LedgerError {
            throw error
        } catch {
            throw LoopError(.invalidState, "\(what) does not read back (\(error)); run `remedy projections rebuild loop`")
        }
    }
}
