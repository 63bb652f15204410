import Events
import LedgerStore

/// One regression guard as people read it: the case, its state and where it came from.
public struct GuardView: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Guarding: it passed in the last run that ran it.
        case holding
        /// It failed again and the regression is still open.
        case slipped
        /// A person retired it, with a reason.
        case retired
    }

    public var suite: String
    public var `case`: String
    public var state: State
    public var sinceRun: String
    public var failure: String
    public var fix: String?
    public var lastRun: String?
    public var lastPassingRun: String?
    public var retiredReason: String?
}

/// The chain of events that made a case a guard: `remedy why`.
public struct GuardProvenance: Sendable, Equatable {
    public var guardView: GuardView
    public var detected: FailureDetected
    public var diagnosis: DiagnosisRecorded?
    public var proposal: FixProposed?
    public var verification: FixVerified?
    public var gate: GateDecided?
    public var merged: FixMerged?
    public var resolvedIn: String
}

extension LoopState {
    /// Every guard, holding, slipped or retired, in suite and case order.
    public func guardViews(suite: String? = nil) -> [GuardView] {
        guards.values.filter { suite == nil || $0.suiteCase.suite == suite }.sorted { $0.suiteCase < $1.suiteCase }.map { guarded in
            let id = guarded.suiteCase
            let slipped = openFailureByCase[id].flatMap { failures[$0] }.map { $0.detected.kind == "regression" } ?? false
            return GuardView(
                suite: id.suite, case: id.key,
                state: guarded.retired != nil ? .retired : slipped ? .slipped : .holding,
                sinceRun: guarded.sinceRun, failure: guarded.failure, fix: guarded.fix,
                lastRun: cases[id]?.lastRun, lastPassingRun: cases[id]?.lastPassingRun,
                retiredReason: guarded.retired?.reason)
        }
    }

    /// Why a case is a guard: the failure, diagnosis, fix, verification, gate and merge.
    ///
    /// - Throws: ``LoopError`` (`.notFound`) when the case is not a guard (in any suite, or
    ///   in `suite`), or is one in several suites and `suite` is not given.
    public func provenance(of key: String, suite: String? = nil) throws -> GuardProvenance {
        let matches = guardViews(suite: suite).filter { $0.case == key }
        guard let view = matches.first else {
            throw LoopError(.notFound, "\(key) is not a regression guard\(suite.map { " in suite \($0)" } ?? "")")
        }
        guard matches.count == 1 else {
            throw LoopError(.invalidArgument, "\(key) is a guard in several suites (\(matches.map(\.suite).joined(separator: ", "))); pass --suite")
        }
        let failure = failures[view.failure]!
        let fix = view.fix.flatMap { fixes[$0] }
        return GuardProvenance(guardView: view, detected: failure.detected, diagnosis: failure.diagnoses.last,
                               proposal: fix?.proposal, verification: fix?.verification, gate: fix?.gate,
                               merged: fix?.merged, resolvedIn: failure.resolved?.runID ?? view.sinceRun)
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

    public var holds: Bool { failed.isEmpty && missing.isEmpty }

    /// Checks run `run` of `suite` against the guards as they stood.
    ///
    /// - Throws: ``LoopError`` (`.notFound`) when the run is not recorded.
    public static func check(suite: String, run: String, ledger: Ledger) throws -> RatchetCheck {
        let state = try LoopState.fold(ledger)
        let outcomes = try RunOutcomes.read(suite: suite, run: run, ledger: ledger)
        guard let recorded = state.runs[try LoopStreams.run(suite: suite, run: run).rawValue],
              let end = recorded.completedPosition else {
            throw LoopError(.notFound, "run \(run) of suite \(suite) is not recorded")
        }
        // The guards as they stood when the run completed: made by then, not yet retired.
        let guards = state.guards.values
            .filter { $0.suiteCase.suite == suite && $0.position < end && ($0.retiredPosition.map { $0 > end } ?? true) }
            .map(\.suiteCase.key).sorted()
        return RatchetCheck(suite: suite, run: run, guardsChecked: guards.count,
                            failed: guards.filter { outcomes.failedOnce.contains($0) },
                            missing: guards.filter { outcomes.final[$0] == nil })
    }
}
