import Events
import LedgerStore
import Projections
import RemediationLoop

/// One regression guard as people read it: the case, its state and where it came from.
public struct GuardView: Sendable, Equatable {
    public var suite: String
    public var `case`: String
    public var state: GuardState
    public var sinceRun: String
    public var failure: String
    public var fix: String?
    public var lastRun: String?
    public var lastPassingRun: String?
    /// The open regression, when slipped.
    public var slippedFailure: String?
    public var retiredReason: String?
    public var retiredBy: String?
}

/// The chain of events that made a case a guard: `remedy why`.
public struct GuardProvenance: Sendable, Equatable {
    public var guardView: GuardView
    /// Nil only when the failure's stream holds no detection (a history written by hand).
    public var detected: FailureDetected?
    public var diagnosis: DiagnosisRecorded?
    public var proposal: FixProposed?
    public var verification: FixVerified?
    public var gate: GateDecided?
    public var merged: FixMerged?
    public var resolvedIn: String
}

extension GuardView {
    /// Every guard, holding, slipped or retired, in suite and case order, as a view of the
    /// read models sees it (the guards projection, with each case's last runs).
    ///
    /// - Throws: ``LedgerError`` or ``LoopError``.
    public static func all(in view: ReadModelView, suite: String? = nil) throws -> [GuardView] {
        let filter: [(column: String, value: RowValue)] = suite.map { [("suite", .text($0))] } ?? []
        let cases = Dictionary(try view.rows(CaseRow.self, matching: filter).map { (SuiteCase(suite: $0.suite, key: $0.caseKey), $0) }) { first, _ in first }
        return try view.rows(GuardRow.self, matching: filter).map { row in
            let history = cases[SuiteCase(suite: row.suite, key: row.caseKey)]
            return GuardView(suite: row.suite, case: row.caseKey, state: row.state, sinceRun: row.sinceRun, failure: row.failure, fix: row.fix,
                             lastRun: history?.lastRun, lastPassingRun: history?.lastPassingRun,
                             slippedFailure: row.slippedFailure, retiredReason: row.retiredReason, retiredBy: row.retiredBy)
        }
    }
}

extension GuardProvenance {
    /// Why a case is a guard: the failure, diagnosis, fix, verification, gate and merge, read
    /// from the guard's row and its failure's and fix's own streams (index lookups, not a fold).
    ///
    /// - Throws: ``LoopError`` (`.notFound`) when the case is not a guard (in any suite, or
    ///   in `suite`), or is one in several suites and `suite` is not given.
    public static func of(_ key: String, suite: String? = nil, in view: ReadModelView) throws -> GuardProvenance {
        let matches = try GuardView.all(in: view, suite: suite).filter { $0.case == key }
        guard let guardView = matches.first else {
            throw LoopError(.notFound, "\(key) is not a regression guard\(suite.map { " in suite \($0)" } ?? "")")
        }
        guard matches.count == 1 else {
            throw LoopError(.invalidArgument, "\(key) is a guard in several suites (\(matches.map(\.suite).joined(separator: ", "))); pass --suite")
        }
        return try chain(of: guardView, in: view)
    }

    /// The chain behind one guard, read from its failure's and fix's streams.
    public static func chain(of guardView: GuardView, in view: ReadModelView) throws -> GuardProvenance {
        var provenance = GuardProvenance(guardView: guardView, detected: nil, diagnosis: nil, proposal: nil, verification: nil, gate: nil,
                                         merged: nil, resolvedIn: guardView.sinceRun)
        var query = EventQuery()
        query.toPosition = view.asOf
        query.streams = [try StreamName(guardView.failure)] + (try guardView.fix.map { [try LoopStreams.fix($0)] } ?? [])
        for event in try view.ledger.events(query) {
            try event.body.withUnsafeBytes { body in
                guard let payload = EventEnvelope.payloadBytes(of: body) else { return }
                switch LoopEventType(rawValue: event.type) {
                case .failureDetected: provenance.detected = try LoopPayload.decode(FailureDetected.self, from: payload)
                case .diagnosisRecorded: provenance.diagnosis = try LoopPayload.decode(DiagnosisRecorded.self, from: payload)
                case .fixProposed: provenance.proposal = try LoopPayload.decode(FixProposed.self, from: payload)
                case .fixVerified: provenance.verification = try LoopPayload.decode(FixVerified.self, from: payload)
                case .gateDecided: provenance.gate = try LoopPayload.decode(GateDecided.self, from: payload)
                case .fixMerged: provenance.merged = try LoopPayload.decode(FixMerged.self, from: payload)
                case .failureResolved:
                    let resolved = try LoopPayload.decode(FailureResolved.self, from: payload)
                    if resolved.becameGuard { provenance.resolvedIn = resolved.runID }
                default: break
                }
            }
        }
        return provenance
    }
}

/// `remedy ratchet check`: did run R keep every guard?
public struct RatchetCheck: Sendable, Equatable {
    public var suite: String
    public var run: String
    public var guardsChecked: Int
    /// Guards that failed (on any attempt) in the run.
    public var failed: [String]
    /// Holding guards the run did not run, though nobody retired them.
    public var missing: [String]
    /// Guards that failed while quarantined (in force when the run completed): reported, not
    /// counted against the ratchet until the quarantine lapses.
    public var quarantinedFailing: [String] = []

    public var holds: Bool { failed.isEmpty && missing.isEmpty }

    /// Checks run `run` of `suite` against the guards as they stood when it completed: made by
    /// then, not retired by then (the guards read model as of that point).
    ///
    /// - Throws: ``LoopError`` (`.notFound`) when the run is not recorded or not complete.
    public static func check(suite: String, run: String, ledger: any EventStore) throws -> RatchetCheck {
        let end = try ReadModels.position(asOf: "run:\(suite)/\(run)", in: ledger)
        let outcomes = try RunOutcomes.read(suite: suite, run: run, ledger: ledger)
        let view = ReadModelView(ledger: ledger, asOf: end)
        let guards = try view.rows(GuardRow.self, matching: [("suite", .text(suite))]).filter(\.state.isActive).map(\.caseKey)
        let completedAt = try ledger.recordedAt(position: end)
        let quarantined = Set(try view.rows(CaseRow.self, matching: [("suite", .text(suite))]).filter { row in
            guard let until = row.quarantinedUntil.flatMap({ try? Timestamp(parsing: $0) }) else { return false }
            return until >= completedAt
        }.map(\.caseKey))
        let failed = guards.filter { outcomes.failedOnce.contains($0) }
        var check = RatchetCheck(suite: suite, run: run, guardsChecked: guards.count, failed: failed.filter { !quarantined.contains($0) },
                                 missing: guards.filter { outcomes.final[$0] == nil })
        check.quarantinedFailing = failed.filter { quarantined.contains($0) }
        return check
    }
}
