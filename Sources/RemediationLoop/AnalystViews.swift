import Events
import LedgerStore

/// `remedy diff RUN_A RUN_B`: what changed between two runs of a suite.
public struct RunDiff: Sendable, Equatable {
    public var newlyFailing: [String]
    public var newlyPassing: [String]
    /// Guards (holding when run B completed) that failed in run B.
    public var guardsSlipped: [String]
    /// Cases whose attempts in run B both passed and failed.
    public var flaky: [String]
    /// Cases in only one of the runs.
    public var onlyInA: [String]
    public var onlyInB: [String]

    /// Compares two recorded runs of `suite`.
    ///
    /// - Throws: ``LoopError`` (`.notFound`) for a run that is not recorded.
    public static func between(suite: String, _ a: String, _ b: String, ledger: Ledger) throws -> RunDiff {
        let before = try RunOutcomes.read(suite: suite, run: a, ledger: ledger)
        let after = try RunOutcomes.read(suite: suite, run: b, ledger: ledger)
        let state = try LoopState.fold(ledger)
        let guards = Set(state.guards.values.filter { $0.suiteCase.suite == suite && $0.isHolding }.map(\.suiteCase.key))
        func failing(_ status: String?) -> Bool { status == "fail" || status == "error" }
        let keys = Set(before.final.keys).union(after.final.keys).sorted()
        return RunDiff(
            newlyFailing: keys.filter { failing(after.final[$0]) && before.final[$0] == "pass" },
            newlyPassing: keys.filter { after.final[$0] == "pass" && failing(before.final[$0]) },
            guardsSlipped: keys.filter { guards.contains($0) && after.failedOnce.contains($0) },
            flaky: keys.filter { after.failedOnce.contains($0) && after.passedOnce.contains($0) },
            onlyInA: keys.filter { after.final[$0] == nil },
            onlyInB: keys.filter { before.final[$0] == nil })
    }
}

/// One run's outcomes per case, read from its stream.
struct RunOutcomes {
    var final: [String: String] = [:]
    var failedOnce = Set<String>()
    var passedOnce = Set<String>()

    static func read(suite: String, run: String, ledger: Ledger) throws -> RunOutcomes {
        var query = EventQuery()
        query.streams = [try LoopStreams.run(suite: suite, run: run)]
        query.types = [LoopEventType.caseOutcomeRecorded.rawValue]
        var outcomes = RunOutcomes()
        var any = false
        try ledger.forEachEvent(query) { _, _, _, bytes in
            any = true
            guard let payload = EventEnvelope.payloadBytes(of: bytes) else { return true }
            let outcome = try CaseOutcomeRecorded.summary(from: payload)
            let key = outcome.case, status = outcome.status
            if status == "skip" { return true }
            outcomes.final[key] = status
            if status == "pass" { outcomes.passedOnce.insert(key) } else { outcomes.failedOnce.insert(key) }
            return true
        }
        guard any else { throw LoopError(.notFound, "run \(run) of suite \(suite) has no recorded cases") }
        return outcomes
    }
}

/// `remedy regressions`: each regression with its last good and first bad run and commit.
public struct RegressionView: Sendable, Equatable {
    public var failure: String
    public var suite: String
    public var `case`: String
    public var lastGoodRun: String?
    public var lastGoodCommit: String?
    public var firstBadRun: String
    public var firstBadCommit: String?
    public var open: Bool

    /// Every regression, oldest first, optionally only those detected in runs since `since`
    /// (a ledger position).
    public static func all(in state: LoopState, sincePosition since: Int = 0) -> [RegressionView] {
        func commit(_ suite: String, _ run: String?) -> String? {
            guard let run, let stream = try? LoopStreams.run(suite: suite, run: run) else { return nil }
            return state.runs[stream.rawValue]?.started.commit
        }
        return state.failures.values
            .filter { $0.detected.kind == "regression" && $0.position >= since }
            .sorted { $0.position < $1.position }
            .map { failure in
                let detected = failure.detected
                let lastGood = state.regressionLastPassingRun[failure.id]
                return RegressionView(failure: failure.id, suite: detected.suite, case: detected.case,
                                      lastGoodRun: lastGood, lastGoodCommit: commit(detected.suite, lastGood),
                                      firstBadRun: detected.runID, firstBadCommit: commit(detected.suite, detected.runID),
                                      open: failure.isOpen)
            }
    }
}
