import Events
import LedgerStore
import Projections

/// A case within its suite: the identity the loop tracks.
public struct SuiteCase: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public var suite: String
    public var key: String

    public init(suite: String, key: String) {
        self.suite = suite
        self.key = key
    }

    public var description: String { "\(suite) \(key)" }

    public static func < (lhs: SuiteCase, rhs: SuiteCase) -> Bool {
        (lhs.suite, lhs.key) < (rhs.suite, rhs.key)
    }
}

/// What the loop knows now: cases, failures, fixes, guards, policy and datasets.
///
/// A pure fold over the loop's events in ledger order (``apply(type:data:stream:)``): the same
/// events always give the same state, which is what makes detection and gate decisions
/// reproducible. Commands load what they touch of it inside their write transaction
/// (``LoopStateLoader``, from the working set ``LoopWorkingSet``), decide, and append.
public struct LoopState: Sendable, Equatable {
    /// What the loop knows of a case: its last result, and whether and where it last passed.
    public struct CaseState: Sendable, Equatable {
        /// The final status in the last regular run that ran the case (skips leave it alone).
        public var lastStatus: CaseStatus?
        public var lastRun: String?
        public var lastPassingRun: String?
        public var everPassed = false
    }

    /// A failure from its detection on: its diagnoses, the fixes proposed for it, its resolution.
    public struct Failure: Sendable, Equatable, Codable {
        public var id: String
        public var detected: FailureDetected
        public var diagnoses: [DiagnosisRecorded] = []
        public var fixes: [String] = []
        public var resolved: FailureResolved?
        public var isOpen: Bool { resolved == nil }
    }

    /// A proposed fix through verification, the gate, reviews, merge and revert.
    public struct Fix: Sendable, Equatable, Codable {
        public var id: String
        public var proposal: FixProposed
        public var verification: FixVerified?
        public var gate: GateDecided?
        public var reviews: [ReviewRecorded] = []
        public var merged: FixMerged?
        public var reverted: FixReverted?

        /// Merged and not reverted.
        public var isInForce: Bool { merged != nil && reverted == nil }
    }

    /// A regression guard: the case, the failure and fix that made it one, and its retirement.
    public struct Guard: Sendable, Equatable, Codable {
        public var suiteCase: SuiteCase
        public var failure: String
        public var fix: String?
        public var sinceRun: String
        public var retired: GuardRetired?
        /// Not retired: holding or slipped (see ``GuardState``), so still a guard.
        public var isActive: Bool { retired == nil }
    }

    /// A run: its start and completion, each case's final status, and while it is open what its
    /// completion must agree with.
    public struct Run: Sendable, Equatable, Codable {
        public var started: EvalRunStarted
        public var completed: EvalRunCompleted?
        /// The final status of each case in the run.
        public var finalStatus: [String: CaseStatus] = [:]
        /// A verification run's cases' skills, for the skills a fix touched (regular runs keep
        /// none: their cases' skills are in the case history).
        public var skills: [String: String] = [:]
        /// While the run is open: what its completion must agree with. Dropped when it
        /// completes, so memory stays bounded by the open runs.
        public var progress: Progress? = Progress()

        /// Stored in the working set (``LoopWorkingSet``) without the outcomes' statuses, which
        /// are read back from the run's stream.
        enum CodingKeys: String, CodingKey {
            case started, completed, progress
        }

        /// What has been recorded of a run still open, beyond each case's final status.
        public struct Progress: Sendable, Equatable, Codable {
            /// The cases with a failing attempt (a guard that failed once counts as failed,
            /// even if a rerun passed).
            public var failed: Set<String> = []
            /// The cases with a passing and a failing attempt.
            public var flaky: Set<String> = []
            /// The cases whose first attempts were skipped (some may have run later).
            public var skipped: Set<String> = []
            /// Failures detected in the run, resolved in it, and regressions recorded.
            public var detected = 0, resolved = 0, regressions = 0
            /// Failures detected as regressions whose `RegressionDetected` is still to come.
            public var regressionsDue: Set<String> = []
            /// A verification run's `FixVerified` is recorded.
            public var verified = false

            /// Stored without what the outcomes give (``failed``, ``flaky``, ``skipped``), and
            /// with the regressions due sorted, so the same state always stores the same text.
            enum CodingKeys: String, CodingKey {
                case detected, resolved, regressions, regressionsDue, verified
            }

            public init() {}

            public init(from decoder: any Decoder) throws {
                let container = try decoder.container(keyedBy: CodingKeys.self)
                detected = try container.decode(Int.self, forKey: .detected)
                resolved = try container.decode(Int.self, forKey: .resolved)
                regressions = try container.decode(Int.self, forKey: .regressions)
                regressionsDue = Set(try container.decode([String].self, forKey: .regressionsDue))
                verified = try container.decode(Bool.self, forKey: .verified)
            }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(detected, forKey: .detected)
                try container.encode(resolved, forKey: .resolved)
                try container.encode(regressions, forKey: .regressions)
                try container.encode(regressionsDue.sorted(), forKey: .regressionsDue)
                try container.encode(verified, forKey: .verified)
            }

            /// Once the run's detections (or its verification) are being recorded, its outcomes
            /// are final: another attempt would change what was derived from them.
            public var isClosed: Bool { detected + resolved + regressions > 0 || verified }

            /// Every case with an attempt, skipped or not.
            func caseCount(finalStatus: [String: CaseStatus]) -> Int {
                finalStatus.count + skipped.count(where: { finalStatus[$0] == nil })
            }
        }
    }

    public var cases: [SuiteCase: CaseState] = [:]
    public var failures: [String: Failure] = [:]
    public var failureCount = 0
    public var openFailureByCase: [SuiteCase: String] = [:]
    public var fixes: [String: Fix] = [:]
    public var guards: [SuiteCase: Guard] = [:]
    /// Runs by stream name.
    public var runs: [String: Run] = [:]
    /// The last completed regular (non-verification) run of each suite, by stream name.
    public var lastCompleteRun: [String: String] = [:]
    public var policy: PolicyAdopted?
    public var datasets: [String: DatasetDeclared] = [:]
    /// A dataset whose parts are still being read.
    var pendingDatasets: [String: DatasetDeclared] = [:]
    public var quarantines: [SuiteCase: QuarantineStarted] = [:]
    /// What `remedy loop run` did with each item (``LoopItem``), by failure or fix id.
    public var loopItems: [String: LoopItem] = [:]
    /// The record each kind of fix has earned, by origin and lever (the `autonomy` read model).
    public var autonomyRecords: [AutonomyKey: AutonomyRecordRow] = [:]

    /// A kind of fix, for its earned record: who proposed it and which lever it pulls.
    public struct AutonomyKey: Hashable, Sendable {
        public var origin: FixOrigin
        public var lever: Lever

        public init(_ proposal: FixProposed) {
            origin = proposal.origin
            lever = proposal.lever
        }
    }

    public init() {}

    /// The event types this fold reads; the rest it ignores.
    public static let categories = ["run", "failure", "fix", "case", "policy", "dataset", "loop"]

    /// Folds one event.
    ///
    /// - Throws: when a loop event's payload does not decode (a damaged or foreign event).
    public mutating func apply(type: String, data: [UInt8], stream: String) throws {
        guard let known = LoopEventType(rawValue: type) else { return }
        if known == .caseOutcomeRecorded {
            // The hot path of a fold: two fields read straight from the canonical bytes, and
            // the run's map mutated in place (copying it per outcome would be quadratic).
            guard let run = runs.index(forKey: stream) else { return }
            runs.values[run].fold(try CaseOutcomeRecorded.summary(from: data))
            return
        }
        apply(try LoopEvent(known, data: data), stream: stream)
    }

    /// Folds one decoded event (see ``LoopEvent``).
    public mutating func apply(_ event: LoopEvent, stream: String) {
        switch event {
        case .evalRunStarted(let started):
            runs[stream] = Run(started: started)
        case .caseOutcome(let outcome):
            guard let run = runs.index(forKey: stream) else { return }
            runs.values[run].fold(outcome)
        case .evalRunCompleted(let completed):
            guard runs[stream] != nil else { return }
            runs[stream]!.completed = completed
            runs[stream]!.progress = nil
            let run = runs[stream]!
            if run.started.verifies == nil {
                // Only the latest regular run's statuses are needed (as the fallback golden
                // set); older ones live on in `cases`, so memory stays bounded by one run.
                if let previous = lastCompleteRun[run.started.suite], previous != stream {
                    runs[previous]?.finalStatus = [:]
                }
                lastCompleteRun[run.started.suite] = stream
                for (key, status) in run.finalStatus {
                    let id = SuiteCase(suite: run.started.suite, key: key)
                    var state = cases[id] ?? CaseState()
                    state.lastStatus = status
                    state.lastRun = run.started.runID
                    if status == .pass {
                        state.everPassed = true
                        state.lastPassingRun = run.started.runID
                    }
                    cases[id] = state
                }
            }
        case .failureDetected(let detected):
            failures[detected.failure] = Failure(id: detected.failure, detected: detected)
            failureCount += 1
            openFailureByCase[SuiteCase(suite: detected.suite, key: detected.case)] = detected.failure
            updateProgress(suite: detected.suite, runID: detected.runID) { progress in
                progress.detected += 1
                if detected.kind == .regression { progress.regressionsDue.insert(detected.failure) }
            }
        case .regressionDetected(let regression):
            if let id = regression.guardFix, let fix = fixes[id] { countRecord(of: fix) { $0.regressions += 1 } }
            // Otherwise not kept: the regressions read model has the last passing run.
            updateProgress(suite: regression.suite, runID: regression.runID) { progress in
                progress.regressions += 1
                progress.regressionsDue.remove(regression.failure)
            }
        case .failureResolved(let resolved):
            failures[resolved.failure]?.resolved = resolved
            updateProgress(suite: resolved.suite, runID: resolved.runID) { $0.resolved += 1 }
            let id = SuiteCase(suite: resolved.suite, key: resolved.case)
            if openFailureByCase[id] == resolved.failure { openFailureByCase[id] = nil }
            if resolved.becameGuard {
                guards[id] = Guard(suiteCase: id, failure: resolved.failure, fix: resolved.fix, sinceRun: resolved.runID)
            }
        case .diagnosisRecorded(let diagnosis):
            failures[diagnosis.failure]?.diagnoses.append(diagnosis)
        case .fixProposed(let proposal):
            fixes[proposal.fix] = Fix(id: proposal.fix, proposal: proposal)
            for failure in proposal.failures { failures[failure]?.fixes.append(proposal.fix) }
        case .fixVerified(let verification):
            fixes[verification.fix]?.verification = verification
            updateProgress(suite: verification.suite, runID: verification.runID) { $0.verified = true }
            // A new verification supersedes what was decided on the old one.
            fixes[verification.fix]?.gate = nil
            fixes[verification.fix]?.reviews = []
        case .gateDecided(let gate):
            fixes[gate.fix]?.gate = gate
        case .reviewRecorded(let review):
            fixes[review.fix]?.reviews.append(review)
        case .fixMerged(let merged):
            if let fix = fixes[merged.fix] {
                countRecord(of: fix) { record in
                    record.merges += 1
                    if fix.gate?.decision == .autoMerge { record.autoMerges += 1 }
                }
            }
            fixes[merged.fix]?.merged = merged
        case .fixReverted(let reverted):
            if let fix = fixes[reverted.fix] { countRecord(of: fix) { $0.reverts += 1 } }
            fixes[reverted.fix]?.reverted = reverted
        case .guardRetired(let retired):
            guards[SuiteCase(suite: retired.suite, key: retired.case)]?.retired = retired
        case .caseAliased(let alias):
            let from = SuiteCase(suite: alias.suite, key: alias.from), to = SuiteCase(suite: alias.suite, key: alias.to)
            if let state = cases.removeValue(forKey: from) { cases[to] = state }
            if let open = openFailureByCase.removeValue(forKey: from) { openFailureByCase[to] = open }
            if var carried = guards.removeValue(forKey: from) {
                carried.suiteCase = to
                guards[to] = carried
            }
        case .policyAdopted(let adopted):
            policy = adopted
        case .datasetDeclared(let dataset):
            if let complete = DatasetDeclared.assemble(dataset, pending: &pendingDatasets[dataset.suite]) {
                datasets[dataset.suite] = complete
            }
        case .quarantineStarted(let quarantine):
            quarantines[SuiteCase(suite: quarantine.suite, key: quarantine.case)] = quarantine
        case .quarantineEnded(let ended):
            quarantines[SuiteCase(suite: ended.suite, key: ended.case)] = nil
        case .loopStepStarted(let started):
            apply(started)
        case .loopStepEnded(let ended):
            apply(ended)
        case .skillMapAdopted:
            break
        }
    }

    /// Changes the earned record of a fix's kind (``AutonomyRecordProjection`` keeps the same).
    private mutating func countRecord(of fix: Fix, _ change: (inout AutonomyRecordRow) -> Void) {
        let key = AutonomyKey(fix.proposal)
        var record = autonomyRecords[key] ?? AutonomyRecordRow(origin: key.origin, lever: key.lever)
        change(&record)
        autonomyRecords[key] = record
    }

    /// Updates the progress of a run if it is open.
    private mutating func updateProgress(suite: String, runID: String, _ update: (inout Run.Progress) -> Void) {
        guard let stream = try? LoopStreams.run(suite: suite, run: runID).rawValue,
              let index = runs.index(forKey: stream), runs.values[index].progress != nil else { return }
        update(&runs.values[index].progress!)
    }

    /// Checks a case outcome against the loop's rules and folds it: what the door does for
    /// nearly every event, with the run looked up once and changed in place (reading it
    /// through the dictionary's getter copied the whole run: a third of the door's time), and
    /// the payload not parsed again.
    ///
    /// - Throws: ``LoopError`` when no run is open on the stream or its outcomes are final.
    public mutating func admit(outcome: CaseOutcomeRecorded.Summary, stream: String) throws {
        try runs.values[try runStarted(on: stream)].admit(outcome)
    }

    /// Checks that the run on `stream` still takes case outcomes.
    ///
    /// - Throws: ``LoopError`` when no run is open on the stream or its outcomes are final.
    func checkAcceptsOutcomes(on stream: String) throws {
        try runs.values[try runStarted(on: stream)].checkAcceptsOutcomes()
    }

    /// Where the run started on `stream` is kept, whether it is still open or not.
    private func runStarted(on stream: String) throws -> Dictionary<String, Run>.Index {
        guard let run = runs.index(forKey: stream) else {
            throw LoopError(.invalidState, "no run was started on \(stream): record EvalRunStarted first")
        }
        return run
    }

    /// Where a suite's golden dataset comes from: its declared dataset, else the cases its last
    /// complete regular run ran (skips do not count).
    public enum GoldenSet: Equatable {
        case declared([String])
        /// The run's stream: its outcomes say which cases it ran.
        case lastCompleteRun(stream: String)
        case none
    }

    /// The golden dataset of `suite` (see ``GoldenSet``).
    public func goldenSet(suite: String) -> GoldenSet {
        if let declared = datasets[suite] { return .declared(declared.cases) }
        return lastCompleteRun[suite].map { .lastCompleteRun(stream: $0) } ?? .none
    }

    /// The suite's guards still in force (holding or slipped), in key order.
    public func activeGuards(suite: String) -> [String] {
        guards.values.filter { $0.suiteCase.suite == suite && $0.isActive }.map(\.suiteCase.key).sorted()
    }

    /// The cases a verification of `suite` must cover: the golden dataset (``goldenSet(suite:)``)
    /// and every guard in force; and where the golden set came from.
    public func mustCover(suite: String) -> (golden: [String], guards: [String], source: DatasetSource) {
        switch goldenSet(suite: suite) {
        case .declared(let cases):
            return (cases, activeGuards(suite: suite), .declared)
        case .lastCompleteRun(let stream):
            return ((runs[stream]?.finalStatus.keys).map { Array($0).sorted() } ?? [], activeGuards(suite: suite), .lastCompleteRun)
        case .none:
            return ([], activeGuards(suite: suite), .lastCompleteRun)
        }
    }

    /// What a verification run of `fix` shows, from its cases' final statuses and the cases
    /// with a failing attempt: coverage of what it must cover (the golden dataset and every
    /// holding guard), the guards that failed, and the cases that flipped.
    ///
    /// A case counts as covered only if some attempt ran (skips do not). Ingest records it,
    /// and the same computation checks one appended by hand.
    public func verification(fix: String, suite: String, runID: String, finalStatus: [String: CaseStatus], failed: Set<String>) -> FixVerified {
        let cover = mustCover(suite: suite)
        let ran = Set(finalStatus.keys)
        var failToPass: [String] = [], passToFail: [String] = [], stillFailing: [String] = []
        for key in finalStatus.keys.sorted() {
            let before = cases[SuiteCase(suite: suite, key: key)]?.lastStatus
            let now = finalStatus[key]!
            if now == .pass && before?.isFailure == true { failToPass.append(key) }
            if now != .pass && before == .pass { passToFail.append(key) }
            if now != .pass && before != nil && before != .pass { stillFailing.append(key) }
        }
        let missing = Array(Set((cover.golden + cover.guards).filter { !ran.contains($0) })).sorted()
        let guardsFailed = cover.guards.filter { failed.contains($0) }
        return FixVerified(
            fix: fix, suite: suite, runID: runID, datasetVersion: datasets[suite]?.version, datasetSource: cover.source,
            goldenCases: cover.golden.count, casesCovered: cover.golden.filter { ran.contains($0) }.count,
            missingCases: Self.capped(missing), guardsTotal: cover.guards.count, guardsFailed: Self.capped(guardsFailed),
            failToPass: Self.capped(failToPass), passToFail: Self.capped(passToFail), stillFailing: Self.capped(stillFailing),
            clean: missing.isEmpty && guardsFailed.isEmpty && passToFail.isEmpty && !cover.golden.isEmpty)
    }

    /// Lists in a verification are capped so the event stays far below the payload limit;
    /// the counts beside them stay exact.
    static let listCap = 1000

    private static func capped(_ list: [String]) -> [String] {
        list.count > listCap ? Array(list.prefix(listCap)) : list
    }

    /// The suite a fix's failures belong to.
    public func suite(of fix: Fix) -> String? {
        fix.proposal.failures.compactMap { failures[$0]?.detected.suite }.first
    }

    /// The fix in force (merged, not reverted) for a failure, if any.
    public func fixInForce(for failure: String) -> String? {
        failures[failure]?.fixes.last { fixes[$0]?.isInForce ?? false }
    }
}

extension LoopState {
    /// Folds the loop's events from a ledger opened for reading, up to `position` if given
    /// (time travel: the state as the ledger stood then). Every event, from the first.
    ///
    /// - Throws: ``LedgerError`` when the ledger cannot be read, ``LoopError`` when a loop
    ///   event is damaged.
    public static func fold(_ ledger: any EventStore, through position: Int? = nil) throws -> LoopState {
        try fold { query, body in
            var query = query
            query.toPosition = position
            try ledger.forEachEvent(query, body)
        }
    }

    /// Folds every loop event `read` gives for the query of the loop's categories.
    static func fold(
        _ read: (EventQuery, (Int, String, String, UnsafeRawBufferPointer) throws -> Bool) throws -> Void
    ) throws -> LoopState {
        var query = EventQuery()
        query.categories = categories
        var state = LoopState()
        try fold(query, into: &state, read)
        return state
    }

    /// Folds the loop events `read` gives for `query` into `state`.
    static func fold(
        _ query: EventQuery, into state: inout LoopState,
        _ read: (EventQuery, (Int, String, String, UnsafeRawBufferPointer) throws -> Bool) throws -> Void
    ) throws {
        try read(query) { position, type, stream, bytes in
            guard LoopEventType(rawValue: type) != nil else { return true }
            try decoding(at: position) { try state.apply(type: type, data: Array(try payload(of: bytes)), stream: stream) }
            return true
        }
    }

    /// Calls `body` with each case outcome of the run on `stream`, read from its bytes as a fold
    /// reads it, holding none of them: what a check of a whole run against a report streams.
    static func forEachOutcome(
        ofRun stream: String,
        _ read: (EventQuery, (Int, String, String, UnsafeRawBufferPointer) throws -> Bool) throws -> Void,
        _ body: (CaseOutcomeRecorded.Summary) throws -> Void
    ) throws {
        var query = EventQuery()
        query.streams = [try StreamName(stream)]
        query.types = [LoopEventType.caseOutcomeRecorded.rawValue]
        try withoutActuallyEscaping(body) { body in
            try read(query) { position, _, _, bytes in
                try body(try decoding(at: position) { try CaseOutcomeRecorded.summary(from: try payload(of: bytes)) })
                return true
            }
        }
    }

    private static func payload(of bytes: UnsafeRawBufferPointer) throws -> UnsafeRawBufferPointer {
        guard let payload = EventEnvelope.payloadBytes(of: bytes) else { throw EventError(.malformedJSON, "no payload") }
        return payload
    }

    /// Runs `decode`, naming an event that does not decode as damage for `remedy verify`.
    private static func decoding<T>(at position: Int, _ decode: () throws -> T) throws -> T {
        do {
            return try decode()
        } catch {
            throw LoopError(.invalidState, "the event at position \(position) does not decode as its catalogue type (\(error)); run `remedy verify`")
        }
    }
}
