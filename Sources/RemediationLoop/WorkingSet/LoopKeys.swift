import Events
import Projections

/// The entities of the loop's state that an event changes, or that a decision reads: what
/// the working set (``LoopWorkingSet``) reads and writes for the event, and what a command
/// loads (``LoopStateLoader``) before it checks one.
struct LoopKeys {
    var failures: Set<String> = []
    var fixes: Set<String> = []
    /// Runs by stream name.
    var runs: Set<String> = []
    /// Cases whose open failure, guard, quarantine and history the event touches.
    var cases: Set<SuiteCase> = []
    /// Suites whose last complete run or dataset the event changes.
    var suites: Set<String> = []
    /// The failure count or the policy.
    var totals = false

    /// What applying `event` on `stream` changes (``LoopState/apply(_:stream:)``).
    init(applying event: LoopEvent, stream: String) {
        func run(_ suite: String, _ runID: String) {
            if let name = try? LoopStreams.run(suite: suite, run: runID).rawValue { runs.insert(name) }
        }
        switch event {
        case .evalRunStarted, .caseOutcome:
            runs.insert(stream)
        case .evalRunCompleted(let completed):
            runs.insert(stream)
            suites.insert(completed.suite)
        case .failureDetected(let detected):
            failures.insert(detected.failure)
            totals = true
            cases.insert(SuiteCase(suite: detected.suite, key: detected.case))
            run(detected.suite, detected.runID)
        case .regressionDetected(let regression):
            run(regression.suite, regression.runID)
        case .failureResolved(let resolved):
            failures.insert(resolved.failure)
            cases.insert(SuiteCase(suite: resolved.suite, key: resolved.case))
            run(resolved.suite, resolved.runID)
        case .diagnosisRecorded(let diagnosis):
            failures.insert(diagnosis.failure)
        case .fixProposed(let proposal):
            fixes.insert(proposal.fix)
            failures.formUnion(proposal.failures)
        case .fixVerified(let verified):
            fixes.insert(verified.fix)
            run(verified.suite, verified.runID)
        case .gateDecided(let gate): fixes.insert(gate.fix)
        case .reviewRecorded(let review): fixes.insert(review.fix)
        case .fixMerged(let merged): fixes.insert(merged.fix)
        case .fixReverted(let reverted): fixes.insert(reverted.fix)
        case .guardRetired(let retired):
            cases.insert(SuiteCase(suite: retired.suite, key: retired.case))
        case .caseAliased(let alias):
            cases.formUnion([SuiteCase(suite: alias.suite, key: alias.from), SuiteCase(suite: alias.suite, key: alias.to)])
        case .policyAdopted:
            totals = true
        case .datasetDeclared(let dataset):
            suites.insert(dataset.suite)
        case .quarantineStarted(let started):
            cases.insert(SuiteCase(suite: started.suite, key: started.case))
        case .quarantineEnded(let ended):
            cases.insert(SuiteCase(suite: ended.suite, key: ended.case))
        case .loopStepStarted, .loopStepEnded:
            break   // read from the item's own stream (LoopStateLoader.loopItem)
        case .skillMapAdopted:
            break   // read by the read models that count by skill, not by the loop's rules
        }
    }

    /// The rows that hold these entities as they stand in `state`: each entity's row written,
    /// or removed when the state no longer holds it.
    func writes(_ state: LoopState) throws -> [RowWrite] {
        var writes: [RowWrite] = []
        for id in failures.sorted() {
            if let failure = state.failures[id] { writes.append(.put(try LoopFailureRow(failure))) }
        }
        for id in fixes.sorted() {
            if let fix = state.fixes[id] { writes.append(.put(try LoopFixRow(fix))) }
        }
        for stream in runs.sorted() {
            if let run = state.runs[stream] { writes.append(.put(try LoopRunRow(stream: stream, run))) }
        }
        for id in cases.sorted() {
            let open = state.openFailureByCase[id]
            writes.append(open.map { .put(LoopOpenFailureRow(id, failure: $0)) } ?? .remove(LoopOpenFailureRow.self, key: LoopOpenFailureRow.key(id)))
            writes.append(try state.guards[id].map { .put(try LoopGuardRow($0)) } ?? .remove(LoopGuardRow.self, key: LoopGuardRow.key(id)))
            writes.append(try state.quarantines[id].map { .put(try LoopQuarantineRow($0)) } ?? .remove(LoopQuarantineRow.self, key: LoopQuarantineRow.key(id)))
        }
        for suite in suites.sorted() {
            writes.append(.put(try LoopSuiteRow(suite: suite, lastCompleteRun: state.lastCompleteRun[suite], dataset: state.datasets[suite],
                                                pendingDataset: state.pendingDatasets[suite])))
        }
        if totals { writes.append(.put(try LoopTotalsRow(failures: state.failureCount, policy: state.policy))) }
        return writes
    }
}
