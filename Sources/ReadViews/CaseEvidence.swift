import Events
import LedgerStore
import Projections
import RemediationLoop

/// A failing case's attempts with their evidence (message, trace id, what was expected, got
/// and printed), read from its run's stream: what `case --json` and `next --json` show and
/// the loop's handlers get.
public enum CaseEvidence {
    /// The attempts of `key` in run `run` of `suite`, in the order they were recorded, up to
    /// the view's point.
    ///
    /// - Throws: ``LedgerError``, or ``LoopError`` when a recorded outcome does not decode.
    public static func attempts(suite: String, run: String, case key: String, ledger: any EventStore, through position: Int? = nil) throws -> [CaseOutcomeRecorded] {
        var query = EventQuery()
        query.streams = [try LoopStreams.run(suite: suite, run: run)]
        query.types = [LoopEventType.caseOutcomeRecorded.rawValue]
        query.toPosition = position
        var attempts: [CaseOutcomeRecorded] = []
        for event in try ledger.events(query) {
            let outcome: CaseOutcomeRecorded
            do {
                outcome = try LoopPayload.decode(CaseOutcomeRecorded.self, from: try EventEnvelope(decoding: event.body).data)
            } catch {
                throw LoopError(.invalidState, "the outcome at position \(event.position) does not decode (\(error)); run `remedy verify`")
            }
            if outcome.case == key { attempts.append(outcome) }
        }
        return attempts
    }

    /// The attempts of the case's last run, when it failed or errored there; none otherwise.
    ///
    /// - Throws: as ``attempts(suite:run:case:ledger:through:)``.
    public static func latestFailing(suite: String, case key: String, in view: ReadModelView) throws -> [CaseOutcomeRecorded] {
        guard let row = try view.rows(CaseRow.self, matching: [("suite", .text(suite)), ("case_key", .text(key))]).first,
              let run = row.lastRun, row.lastResult == .fail || row.lastResult == .error else { return [] }
        return try attempts(suite: suite, run: run, case: key, ledger: view.ledger, through: view.asOf)
    }
}
