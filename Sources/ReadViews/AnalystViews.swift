import Events
import LedgerStore
import Projections
import RemediationLoop

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

    /// Compares two recorded runs of `suite`; guards are judged as they stood when run B
    /// completed.
    ///
    /// - Throws: ``LoopError`` (`.notFound`) for a run that is not recorded, or not by `asOf`.
    public static func between(suite: String, _ a: String, _ b: String, ledger: any EventStore, asOf: Int? = nil) throws -> RunDiff {
        let end = try ReadModels.position(asOf: "run:\(suite)/\(b)", in: ledger)
        if let asOf, end > asOf { throw LoopError(.notFound, "run \(b) of suite \(suite) had not completed by position \(asOf)") }
        let before = try RunOutcomes.read(suite: suite, run: a, ledger: ledger, through: asOf)
        let after = try RunOutcomes.read(suite: suite, run: b, ledger: ledger, through: asOf)
        let guards = Set(try ReadModelView(ledger: ledger, asOf: end).rows(GuardRow.self, matching: [("suite", .text(suite))])
            .filter(\.state.isActive).map(\.caseKey))
        let keys = Set(before.final.keys).union(after.final.keys).sorted()
        return RunDiff(
            newlyFailing: keys.filter { after.final[$0]?.isFailure == true && before.final[$0] == .pass },
            newlyPassing: keys.filter { after.final[$0] == .pass && before.final[$0]?.isFailure == true },
            guardsSlipped: keys.filter { guards.contains($0) && after.failedOnce.contains($0) },
            flaky: keys.filter { after.failedOnce.contains($0) && after.passedOnce.contains($0) },
            onlyInA: keys.filter { after.final[$0] == nil },
            onlyInB: keys.filter { before.final[$0] == nil })
    }
}

/// One run's outcomes per case, read from its stream.
struct RunOutcomes {
    var final: [String: CaseStatus] = [:]
    var failedOnce = Set<String>()
    var passedOnce = Set<String>()

    static func read(suite: String, run: String, ledger: any EventStore, through position: Int? = nil) throws -> RunOutcomes {
        var query = EventQuery()
        query.streams = [try LoopStreams.run(suite: suite, run: run)]
        query.toPosition = position
        query.types = [LoopEventType.caseOutcomeRecorded.rawValue]
        var outcomes = RunOutcomes()
        var any = false
        try ledger.forEachEvent(query) { _, _, _, bytes in
            any = true
            guard let payload = EventEnvelope.payloadBytes(of: bytes) else { return true }
            let outcome = try CaseOutcomeRecorded.summary(from: payload)
            let key = outcome.case, status = outcome.status
            if status == .skip { return true }
            outcomes.final[key] = status
            if status == .pass { outcomes.passedOnce.insert(key) } else { outcomes.failedOnce.insert(key) }
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

    /// Every regression as a view of the read models sees it, oldest first; only those
    /// detected at or after the position `since`, when given.
    ///
    /// - Throws: ``LedgerError`` or ``LoopError``.
    public static func all(in view: ReadModelView, sincePosition since: Int = 0) throws -> [RegressionView] {
        try view.rows(RegressionRow.self)
            .filter { $0.position >= since }
            .sorted { $0.position < $1.position }
            .map { row in
                RegressionView(failure: row.failure, suite: row.suite, case: row.caseKey, lastGoodRun: row.lastGoodRun,
                               lastGoodCommit: row.lastGoodCommit, firstBadRun: row.firstBadRun, firstBadCommit: row.firstBadCommit,
                               open: row.isOpen)
            }
    }
}
