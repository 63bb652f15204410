import Events
import LedgerStore
import ReadViews
import RemediationLoop

/// The JSON object a handler reads on standard input: the step, the item, and what the
/// ledger knows that the step needs. Field names are the contract (README, "The handler
/// contract"); a field without a value is left out.
struct HandlerInput: Encodable {
    var step: HandlerStep
    var item: String
    var attempt: Int
    var ledger: String
    var failure: FailureInfo?
    /// The failing case's attempts in the run that detected the failure.
    var attempts: [AttemptInfo]?
    /// The case's results, run by run.
    var history: [HistoryEntry]?
    /// Earlier diagnoses of the case's failures, and what became of their fixes.
    var diagnoses: [DiagnosisInfo]?
    var diagnosis: DiagnosisInfo?
    var fix: FixInfo?
    /// The cases a verification run must include: the golden dataset and every guard.
    var mustInclude: [String]?
    var gate: GateInfo?
    /// The fix's evidence for a person, in Markdown (review).
    var evidenceMarkdown: String?

    enum CodingKeys: String, CodingKey {
        case step, item, attempt, ledger, failure, attempts, history, diagnoses, diagnosis, fix
        case mustInclude = "must_include", gate, evidenceMarkdown = "evidence_markdown"
    }

    struct FailureInfo: Encodable {
        var id: String
        var suite: String
        var `case`: String
        var kind: FailureKind
        var status: CaseStatus
        var run: String
        var firstFailingRun: String?
        var passedBefore: Bool
        var skill: String?
        var message: String?

        enum CodingKeys: String, CodingKey {
            case id, suite, `case`, kind, status, run, firstFailingRun = "first_failing_run", passedBefore = "passed_before", skill, message
        }

        init(_ failure: LoopState.Failure) {
            let detected = failure.detected
            id = failure.id; suite = detected.suite; self.case = detected.case; kind = detected.kind; status = detected.status
            run = detected.runID; firstFailingRun = detected.firstFailingRun; passedBefore = detected.passedBefore
            skill = detected.skill; message = detected.message
        }
    }

    /// An attempt as the ledger recorded it (the catalogue's `CaseOutcomeRecorded` fields,
    /// evidence included), with a link to its trace from the config's `trace_url`.
    struct AttemptInfo: Encodable {
        var outcome: CaseOutcomeRecorded
        var traceURL: String?

        enum CodingKeys: String, CodingKey { case traceURL = "trace_url" }

        func encode(to encoder: any Encoder) throws {
            try outcome.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(traceURL, forKey: .traceURL)
        }
    }

    struct HistoryEntry: Encodable {
        var run: String
        var attempt: Int
        var result: CaseStatus
    }

    struct DiagnosisInfo: Encodable {
        var failure: String
        var lever: Lever
        var target: String
        var confidence: String?
        var evidence: [String]
        var by: String
        /// What became of the fixes proposed for that failure: `merged`, `reverted`, `rejected`
        /// or `open`, by fix id.
        var fixes: [String: String]

        init(_ diagnosis: DiagnosisRecorded, fixes: [String: String]) {
            failure = diagnosis.failure; lever = diagnosis.lever; target = diagnosis.target
            confidence = diagnosis.confidence; evidence = diagnosis.evidence; by = diagnosis.by; self.fixes = fixes
        }
    }

    struct FixInfo: Encodable {
        var id: String
        var failures: [String]
        var lever: Lever
        var target: String?
        var change: String
        var blastRadius: BlastRadius
        var reversible: Bool
        var by: String
        var verificationRun: String?

        enum CodingKeys: String, CodingKey {
            case id, failures, lever, target, change, blastRadius = "blast_radius", reversible, by, verificationRun = "verification_run"
        }

        init(_ fix: LoopState.Fix) {
            id = fix.id; failures = fix.proposal.failures; lever = fix.proposal.lever; target = fix.proposal.target
            change = fix.proposal.change; blastRadius = fix.proposal.blastRadius; reversible = fix.proposal.reversible
            by = fix.proposal.by; verificationRun = fix.verification?.runID
        }
    }

    struct GateInfo: Encodable {
        var decision: GateDecision
        var rule: String
        var invariant: String?
        var facts: [String: String]
        var verification: FixVerified?

        init(_ gate: GateDecided, verification: FixVerified?) {
            decision = gate.decision; rule = gate.rule; invariant = gate.invariant; facts = gate.facts; self.verification = verification
        }
    }
}

extension HandlerInput {
    /// The input for `started`, from the step's context and the read models.
    static func make(for started: LoopStepStarted, context: LoopSteps.StepContext, ledger: any EventStore, address: String,
                     config: LoopConfig, now: Timestamp) throws -> HandlerInput {
        let state = context.state
        var input = HandlerInput(step: started.step, item: started.item, attempt: started.attempt, ledger: address)
        let fix = state.fixes[started.item]
        let failure = state.failures[started.item] ?? fix.flatMap { $0.proposal.failures.first }.flatMap { state.failures[$0] }
        if let failure {
            input.failure = FailureInfo(failure)
            input.diagnosis = failure.diagnoses.last.map { DiagnosisInfo($0, fixes: outcomes(of: failure, in: state)) }
        }
        switch started.step {
        case .diagnose, .propose:
            guard let failure else { break }
            input.attempts = try attempts(of: failure, in: ledger, traceURL: config.traceURL)
            let view = ReadModelView(ledger: ledger)
            input.history = try CaseHistory.read(failure.detected.case, suite: failure.detected.suite, in: view, now: now).timeline
                .map { HistoryEntry(run: $0.runID, attempt: $0.attempt, result: $0.result) }
            input.diagnoses = context.caseFailures.flatMap { earlier in
                earlier.diagnoses.map { DiagnosisInfo($0, fixes: outcomes(of: earlier, in: state)) }
            }
        case .verify, .merge, .review:
            guard let fix else { break }
            input.fix = FixInfo(fix)
            if started.step == .verify, let suite = state.suite(of: fix) {
                input.mustInclude = try NextQueue.mustInclude(suite: suite, view: ReadModelView(ledger: ledger))
            }
            if let gate = fix.gate {
                input.gate = GateInfo(gate, verification: fix.verification)
                if started.step == .review { input.evidenceMarkdown = evidence(of: fix, gate: gate, failure: failure) }
            }
        }
        return input
    }

    /// What became of each fix of a failure.
    private static func outcomes(of failure: LoopState.Failure, in state: LoopState) -> [String: String] {
        var outcomes: [String: String] = [:]
        for id in failure.fixes {
            guard let fix = state.fixes[id] else { continue }
            outcomes[id] = fix.reverted != nil ? "reverted" : fix.merged != nil ? "merged"
                : fix.reviews.last?.verdict == .reject ? "rejected" : "open"
        }
        return outcomes
    }

    /// The failing case's attempts in the run that detected the failure, with trace links.
    private static func attempts(of failure: LoopState.Failure, in ledger: any EventStore, traceURL: String?) throws -> [AttemptInfo] {
        try CaseEvidence.attempts(suite: failure.detected.suite, run: failure.detected.runID, case: failure.detected.case, ledger: ledger).map { outcome in
            AttemptInfo(outcome: outcome, traceURL: outcome.traceID.flatMap { id in traceURL.map { Template.fill($0, ["trace_id": id]) } })
        }
    }

    /// The fix's case for a person, in Markdown: the diagnosis, the verification and the gate.
    private static func evidence(of fix: LoopState.Fix, gate: GateDecided, failure: LoopState.Failure?) -> String {
        var lines = ["## Fix \(fix.id)", "", "- change: \(fix.proposal.change)",
                     "- lever: \(fix.proposal.lever), target: \(fix.proposal.target ?? "-"), blast radius: \(fix.proposal.blastRadius), reversible: \(fix.proposal.reversible)",
                     "- proposed by: \(fix.proposal.by)"]
        if let failure {
            lines.append("- failure: \(failure.id), \(failure.detected.case) in \(failure.detected.suite) (\(failure.detected.kind))")
            if let diagnosis = failure.diagnoses.last {
                lines.append("- diagnosis: \(diagnosis.lever) \(diagnosis.target) by \(diagnosis.by)" + (diagnosis.confidence.map { ", confidence \($0)" } ?? ""))
            }
        }
        if let verification = fix.verification {
            lines += ["", "### Verification (run \(verification.runID))", "",
                      "| fail → pass | pass → fail | still failing | guards failed |", "| --- | --- | --- | --- |",
                      "| \(verification.failToPass.count) | \(verification.passToFail.count) | \(verification.stillFailing.count) | \(verification.guardsFailed.count) |"]
        }
        lines += ["", "### Gate", "", "**\(gate.decision)**: \(gate.invariant ?? gate.rule)", ""]
        return lines.joined(separator: "\n") + "\n"
    }
}
