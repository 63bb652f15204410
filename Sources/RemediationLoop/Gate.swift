#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Events
import LedgerStore

/// What the gate knows about a fix when it decides: recorded with the decision, so replaying
/// a decision (or re-deciding it under another policy) needs nothing but these facts.
public struct GateFacts: Sendable, Equatable {
    public var kind: FailureKind
    public var lever: Lever
    public var target: String
    public var blastRadius: BlastRadius
    public var origin: FixOrigin
    public var reversible: Bool
    public var passedBefore: Bool
    /// Whether a verification run exists at all.
    public var verified: Bool
    public var verifiedClean: Bool
    public var goldenCovered: Bool
    public var guardsCovered: Bool
    public var guardsFailed: Int
    public var passToFail: Int
    /// Where the golden dataset came from; nil without a verification (recorded as `none`).
    public var datasetSource: DatasetSource?
    /// The fix names a target its failures' diagnoses do not: from the ledger, not from the
    /// proposer, so a fixing agent cannot move a fix somewhere the diagnosis never pointed.
    public var retargeted = false
    /// What verification measured, beside what the proposer declared: the cases whose result
    /// changed beyond the fix's own failures, and the radius that makes (0 low, up to 5
    /// medium, more high). ``blastRadius`` is the larger of the two.
    public var declaredBlastRadius: BlastRadius?
    public var measuredBlastRadius: BlastRadius?
    public var casesChanged: Int?
    /// The skills of the cases whose result changed in verification (the fix's own included).
    public var skillsTouched: Int?
    /// Earned autonomy: the record of fixes of this origin and lever so far (merges, merges
    /// on the gate's auto-merge, reverts, regressions of the guards they made).
    public var recordMerges = 0, recordAutoMerges = 0, recordReverts = 0, recordRegressions = 0

    /// Facts as remedy recorded them before it measured radii and re-targeting: a decision
    /// of that time records neither, and is checked without them.
    public var isLegacy = false

    /// The radius verification measured: `changed` cases beyond the fix's own failures (none
    /// low, up to 5 medium, more high), and the `skills` the changed cases belong to (2
    /// medium, more high).
    public static func measuredRadius(changed: Int, skills: Int) -> BlastRadius {
        let byCases: BlastRadius = changed == 0 ? .low : changed <= 5 ? .medium : .high
        let bySkills: BlastRadius = skills <= 1 ? .low : skills == 2 ? .medium : .high
        return BlastRadius.larger(byCases, bySkills)
    }

    func isHighStakes(_ globs: [String]) -> Bool {
        globs.contains { fnmatch($0, target, 0) == 0 }
    }

    /// The facts as recorded in `GateDecided.facts`.
    public var recorded: [String: String] {
        var facts = ["kind": kind.rawValue, "lever": lever.rawValue, "target": target, "blast_radius": blastRadius.rawValue, "origin": origin.rawValue,
                     "reversible": String(reversible), "passed_before": String(passedBefore), "verified": String(verified),
                     "verified_clean": String(verifiedClean), "golden_covered": String(goldenCovered),
                     "guards_covered": String(guardsCovered), "guards_failed": String(guardsFailed),
                     "pass_to_fail": String(passToFail), "dataset_source": datasetSource?.rawValue ?? "none"]
        guard !isLegacy else { return facts }
        facts["retargeted"] = String(retargeted)
        facts["declared_blast_radius"] = declaredBlastRadius?.rawValue
        facts["measured_blast_radius"] = measuredBlastRadius?.rawValue
        facts["cases_changed"] = casesChanged.map(String.init)
        facts["skills_touched"] = skillsTouched.map(String.init)
        facts["record_merges"] = String(recordMerges)
        facts["record_auto_merges"] = String(recordAutoMerges)
        facts["record_reverts"] = String(recordReverts)
        facts["record_regressions"] = String(recordRegressions)
        return facts
    }

    /// These facts as a decision recorded before remedy measured radii and re-targeting: the
    /// declared radius alone, never re-targeted.
    public var legacy: GateFacts {
        var facts = self
        facts.blastRadius = declaredBlastRadius ?? blastRadius
        facts.retargeted = false
        facts.declaredBlastRadius = nil
        facts.measuredBlastRadius = nil
        facts.casesChanged = nil
        facts.skillsTouched = nil
        (facts.recordMerges, facts.recordAutoMerges, facts.recordReverts, facts.recordRegressions) = (0, 0, 0, 0)
        facts.isLegacy = true
        return facts
    }

    /// Facts read back from a recorded decision; nil when they are not a decision's facts.
    public init?(recorded facts: [String: String]) {
        guard let kind = facts["kind"].flatMap(FailureKind.init(rawValue:)), let lever = facts["lever"].flatMap(Lever.init(rawValue:)),
              let target = facts["target"], let blastRadius = facts["blast_radius"].flatMap(BlastRadius.init(rawValue:)),
              let origin = facts["origin"].flatMap(FixOrigin.init(rawValue:)) else { return nil }
        self.init(kind: kind, lever: lever, target: target, blastRadius: blastRadius, origin: origin,
                  reversible: facts["reversible"] == "true", passedBefore: facts["passed_before"] == "true",
                  verified: facts["verified"] == "true", verifiedClean: facts["verified_clean"] == "true",
                  goldenCovered: facts["golden_covered"] == "true", guardsCovered: facts["guards_covered"] == "true",
                  guardsFailed: Int(facts["guards_failed"] ?? "") ?? 0, passToFail: Int(facts["pass_to_fail"] ?? "") ?? 0,
                  datasetSource: facts["dataset_source"].flatMap(DatasetSource.init(rawValue:)))
        retargeted = facts["retargeted"] == "true"
        isLegacy = facts["retargeted"] == nil
        declaredBlastRadius = facts["declared_blast_radius"].flatMap(BlastRadius.init(rawValue:))
        measuredBlastRadius = facts["measured_blast_radius"].flatMap(BlastRadius.init(rawValue:))
        casesChanged = facts["cases_changed"].flatMap { Int($0) }
        skillsTouched = facts["skills_touched"].flatMap { Int($0) }
        recordMerges = Int(facts["record_merges"] ?? "") ?? 0
        recordAutoMerges = Int(facts["record_auto_merges"] ?? "") ?? 0
        recordReverts = Int(facts["record_reverts"] ?? "") ?? 0
        recordRegressions = Int(facts["record_regressions"] ?? "") ?? 0
    }

    public init(kind: FailureKind, lever: Lever, target: String, blastRadius: BlastRadius, origin: FixOrigin, reversible: Bool,
                passedBefore: Bool, verified: Bool, verifiedClean: Bool, goldenCovered: Bool, guardsCovered: Bool,
                guardsFailed: Int, passToFail: Int, datasetSource: DatasetSource?) {
        self.kind = kind; self.lever = lever; self.target = target; self.blastRadius = blastRadius; self.origin = origin
        self.reversible = reversible; self.passedBefore = passedBefore; self.verified = verified
        self.verifiedClean = verifiedClean; self.goldenCovered = goldenCovered; self.guardsCovered = guardsCovered
        self.guardsFailed = guardsFailed; self.passToFail = passToFail; self.datasetSource = datasetSource
    }

    /// The facts of a fix in a state.
    public init(fix: LoopState.Fix, state: LoopState) {
        let failures = fix.proposal.failures.compactMap { state.failures[$0]?.detected }
        let kind = failures.contains { $0.kind == .regression } ? .regression : failures.first?.kind ?? .test
        let verification = fix.verification
        // Coverage is judged against the golden set and guards as they are now: a guard made
        // or a dataset declared after the verification ran must be covered too.
        var goldenCovered = false, guardsCovered = false
        if let verification, let suite = state.suite(of: fix) ?? Optional(verification.suite),
           let run = (try? LoopStreams.run(suite: verification.suite, run: verification.runID)).flatMap({ state.runs[$0.rawValue] }) {
            let cover = state.mustCover(suite: suite)
            goldenCovered = !cover.golden.isEmpty && cover.golden.allSatisfy { run.finalStatus[$0] != nil }
            guardsCovered = cover.guards.allSatisfy { run.finalStatus[$0] != nil }
        }
        self.init(kind: kind, lever: fix.proposal.lever, target: fix.proposal.target ?? "", blastRadius: fix.proposal.blastRadius,
                  origin: fix.proposal.origin, reversible: fix.proposal.reversible,
                  passedBefore: failures.contains { $0.passedBefore },
                  verified: verification != nil, verifiedClean: verification?.clean ?? false,
                  goldenCovered: goldenCovered, guardsCovered: guardsCovered,
                  guardsFailed: verification?.guardsFailed.count ?? 0, passToFail: verification?.passToFail.count ?? 0,
                  datasetSource: verification?.datasetSource)
        let diagnosed = Set(fix.proposal.failures.compactMap { state.failures[$0]?.diagnoses.last?.target })
        if let target = fix.proposal.target, !diagnosed.isEmpty { retargeted = !diagnosed.contains(target) }
        declaredBlastRadius = fix.proposal.blastRadius
        if let record = state.autonomyRecords[LoopState.AutonomyKey(fix.proposal)] {
            (recordMerges, recordAutoMerges, recordReverts, recordRegressions) = (record.merges, record.autoMerges, record.reverts, record.regressions)
        }
        if let verification {
            let own = Set(failures.map(\.case))
            let changed = verification.failToPass.count { !own.contains($0) } + verification.passToFail.count
            casesChanged = changed
            let skills = (try? LoopStreams.run(suite: verification.suite, run: verification.runID)).flatMap { state.runs[$0.rawValue]?.skills } ?? [:]
            skillsTouched = Set((verification.failToPass + verification.passToFail).compactMap { skills[$0] }).count
            measuredBlastRadius = Self.measuredRadius(changed: changed, skills: skillsTouched!)
            blastRadius = BlastRadius.larger(fix.proposal.blastRadius, measuredBlastRadius!)
        }
    }
}

/// The gate: a policy's rule, then the invariants no rule can override.
public enum Gate {
    /// A decision before it is recorded.
    public struct Decision: Sendable, Equatable {
        public var decision: GateDecision
        public var rule: String
        public var considered: [String]
        public var invariant: String?
    }

    /// Decides for `facts` under `policy`.
    ///
    /// Invariants, applied after the rule: a guard that failed in verification, or a case that
    /// flipped from pass to fail, blocks; without a verification run that covered the whole
    /// golden dataset and every guard, auto-merge becomes review.
    public static func decide(_ facts: GateFacts, policy: AutonomyPolicy) -> Decision {
        let (rule, considered) = policy.firstMatch(facts)
        var decision = Decision(decision: rule?.decide ?? .review, rule: rule?.name ?? "no rule matched: review",
                                considered: considered, invariant: nil)
        if facts.guardsFailed > 0 || facts.passToFail > 0 {
            if decision.decision != .block {
                decision.decision = .block
                decision.invariant = facts.guardsFailed > 0
                    ? "a regression guard failed in verification: block"
                    : "a case flipped from pass to fail in verification: block"
            }
        } else if decision.decision == .autoMerge && !(facts.verified && facts.goldenCovered && facts.guardsCovered) {
            decision.decision = .review
            decision.invariant = facts.verified
                ? "verification did not cover the whole golden dataset and every guard: no auto-merge"
                : "no verification run: no auto-merge"
        }
        return decision
    }
}

extension LoopSteps {
    /// Evaluates the policy in force for a fix and records the decision.
    ///
    /// Asked again before a new verification, it returns the recorded decision and records
    /// nothing, so a retried CI step gets the same answer.
    ///
    /// - Throws: ``LoopError`` for an unknown or merged fix.
    @discardableResult
    public func gate(fix: String) throws -> GateDecided {
        try ledger.write { writer in try Self.gate(fix: fix, in: writer) }
    }

    /// Decides a fix's gate inside a write transaction (see ``gate(fix:)``).
    static func gate(fix: String, in writer: any EventStoreWriter) throws -> GateDecided {
        let loader = try LoopStateLoader(writer)
        try loader.gate(fix: fix)
        let state = loader.state
        let current = try state.fix(fix)
        guard current.merged == nil else { throw LoopError(.invalidState, "fix \(fix) merged already; the gate has nothing to decide") }
        // Decided since the latest verification: the same answer again (CI retries), nothing new recorded.
        if let gate = current.gate { return gate }
        let policy = try state.policyInForce()
        let facts = GateFacts(fix: current, state: state)
        let decision = Gate.decide(facts, policy: policy)
        let decided = GateDecided(fix: fix, decision: decision.decision, policySHA256: policy.sha256, rule: decision.rule,
                                  rulesConsidered: decision.considered, invariant: decision.invariant, facts: facts.recorded)
        try Self.record(writer, loader, try LoopStreams.fix(fix), .gateDecided, decided, actor: "remedy")
        return decided
    }
}

/// What `remedy what-if` reports: a past decision that another policy would change.
public struct WhatIfChange: Sendable, Equatable {
    public var fix: String
    public var recorded: GateDecision
    public var recordedRule: String
    public var wouldBe: GateDecision
    public var wouldBeRule: String
}

extension Gate {
    /// Re-decides every recorded gate decision from its recorded facts under `policy`, and
    /// returns those that change.
    public static func whatIf(_ policy: AutonomyPolicy, ledger: any EventStore) throws -> [WhatIfChange] {
        try recordedDecisions(in: ledger).compactMap { recorded in
            guard let facts = GateFacts(recorded: recorded.facts) else { return nil }
            let again = decide(facts, policy: policy)
            guard again.decision != recorded.decision else { return nil }
            return WhatIfChange(fix: recorded.fix, recorded: recorded.decision, recordedRule: recorded.invariant ?? recorded.rule,
                                wouldBe: again.decision, wouldBeRule: again.invariant ?? again.rule)
        }
    }

    /// Every gate decision recorded, in ledger order.
    ///
    /// - Throws: ``LoopError`` when one does not decode.
    public static func recordedDecisions(in ledger: any EventStore) throws -> [GateDecided] {
        var query = EventQuery()
        query.types = [LoopEventType.gateDecided.rawValue]
        // A few decisions among every outcome of every run: through the type index (at
        // 1,000,000 events, 1,913 decisions read in milliseconds instead of a 0.2 s scan).
        query.byType = true
        var decisions: [GateDecided] = []
        try ledger.forEachEvent(query) { _, _, _, bytes in
            guard let envelope = try? EventEnvelope(decoding: bytes),
                  let recorded = try? LoopPayload.decode(GateDecided.self, from: envelope.data) else {
                throw LoopError(.invalidState, "a recorded gate decision does not decode; run `remedy verify`")
            }
            decisions.append(recorded)
            return true
        }
        return decisions
    }
}
