/// The event types of the remediation loop, their schema versions and payloads.
///
/// Every payload is a `Codable` struct whose JSON field names are the contract (snake_case);
/// its JSON Schema and an example live in `Events/Catalogue/schemas/` and `examples/`, listed
/// on `Events/Catalogue/README.md`. Decimal numbers (scores, confidences) are strings, as the
/// canonical form requires.
///
/// Upcasting: a payload change that old readers cannot ignore bumps the type's schema version;
/// the envelope records the version it was written with, and readers upcast old payloads to the
/// newest shape when they decode (``LoopEventType/schemaVersion``). Stored bytes never change.
public enum LoopEventType: String, CaseIterable, Sendable {
    case evalRunStarted = "EvalRunStarted"
    case caseOutcomeRecorded = "CaseOutcomeRecorded"
    case evalRunCompleted = "EvalRunCompleted"
    case failureDetected = "FailureDetected"
    case regressionDetected = "RegressionDetected"
    case failureResolved = "FailureResolved"
    case diagnosisRecorded = "DiagnosisRecorded"
    case fixProposed = "FixProposed"
    case fixVerified = "FixVerified"
    case gateDecided = "GateDecided"
    case reviewRecorded = "ReviewRecorded"
    case fixMerged = "FixMerged"
    case fixReverted = "FixReverted"
    case guardRetired = "GuardRetired"
    case caseAliased = "CaseAliased"
    case policyAdopted = "PolicyAdopted"
    case skillMapAdopted = "SkillMapAdopted"
    case datasetDeclared = "DatasetDeclared"
    case quarantineStarted = "QuarantineStarted"
    case quarantineEnded = "QuarantineEnded"
    case loopStepStarted = "LoopStepStarted"
    case loopStepEnded = "LoopStepEnded"

    /// The schema version payloads of this type are written with today.
    public var schemaVersion: Int { 1 }

    /// The Swift type of this event type's payload.
    public var payloadType: any Codable.Type {
        switch self {
        case .evalRunStarted: EvalRunStarted.self
        case .caseOutcomeRecorded: CaseOutcomeRecorded.self
        case .evalRunCompleted: EvalRunCompleted.self
        case .failureDetected: FailureDetected.self
        case .regressionDetected: RegressionDetected.self
        case .failureResolved: FailureResolved.self
        case .diagnosisRecorded: DiagnosisRecorded.self
        case .fixProposed: FixProposed.self
        case .fixVerified: FixVerified.self
        case .gateDecided: GateDecided.self
        case .reviewRecorded: ReviewRecorded.self
        case .fixMerged: FixMerged.self
        case .fixReverted: FixReverted.self
        case .guardRetired: GuardRetired.self
        case .caseAliased: CaseAliased.self
        case .policyAdopted: PolicyAdopted.self
        case .skillMapAdopted: SkillMapAdopted.self
        case .datasetDeclared: DatasetDeclared.self
        case .quarantineStarted: QuarantineStarted.self
        case .quarantineEnded: QuarantineEnded.self
        case .loopStepStarted: LoopStepStarted.self
        case .loopStepEnded: LoopStepEnded.self
        }
    }
}

/// A run of a suite began: what ran, on what, and from which report.
public struct EvalRunStarted: Codable, Sendable, Equatable {
    public var suite: String
    public var runID: String
    public var kind: RunKind
    public var format: String
    public var commit: String?
    public var dirty: Bool?
    public var datasetVersion: String?
    public var trigger: String?
    public var producer: String?
    public var producerVersion: String?
    /// Each report file's name and SHA-256, in the order given.
    public var reports: [ReportFile]
    /// The fix this run verifies, when it is a verification run.
    public var verifies: String?

    /// A report file the run was read from, by name and SHA-256 (what makes a re-ingest idempotent).
    public struct ReportFile: Codable, Sendable, Equatable {
        public var file: String
        public var sha256: String
        public init(file: String, sha256: String) { self.file = file; self.sha256 = sha256 }
    }

    enum CodingKeys: String, CodingKey {
        case suite, runID = "run_id", kind, format, commit, dirty, datasetVersion = "dataset_version", trigger
        case producer, producerVersion = "producer_version", reports, verifies
    }

    public init(suite: String, runID: String, kind: RunKind, format: String, reports: [ReportFile]) {
        self.suite = suite
        self.runID = runID
        self.kind = kind
        self.format = format
        self.reports = reports
    }
}

/// One attempt at one case in a run.
public struct CaseOutcomeRecorded: Codable, Sendable, Equatable {
    public var `case`: String
    public var attempt: Int
    /// pass, fail (an assertion), error (the harness or infrastructure), skip.
    public var status: CaseStatus
    public var score: String?
    public var threshold: String?
    public var durationMS: Int?
    public var message: String?
    public var traceID: String?
    public var skill: String?
    public var properties: [String: String]?
    /// What the case expected and what it got (promptfoo's assertion and output, inspect_ai's
    /// target and answer), and what it printed (JUnit's failure text, system-out and
    /// system-err): evidence to diagnose from, each at most 4 KiB, with the SHA-256 of the
    /// whole text when it was cut.
    public var expected: String?
    public var expectedSHA256: String?
    public var actual: String?
    public var actualSHA256: String?
    public var output: String?
    public var outputSHA256: String?

    enum CodingKeys: String, CodingKey {
        case `case`, attempt, status, score, threshold, durationMS = "duration_ms", message, traceID = "trace_id", skill, properties
        case expected, expectedSHA256 = "expected_sha256", actual, actualSHA256 = "actual_sha256", output, outputSHA256 = "output_sha256"
    }

    public init(case key: String, attempt: Int, status: CaseStatus) {
        self.case = key
        self.attempt = attempt
        self.status = status
    }
}

/// A run's totals (counted by the report format's rules) and what detection found.
public struct EvalRunCompleted: Codable, Sendable, Equatable {
    public var suite: String
    public var runID: String
    public var tests: Int
    public var failures: Int
    public var errors: Int
    public var skipped: Int
    public var duplicates: Int
    public var cases: Int
    public var newFailures: Int
    public var stillFailing: Int
    public var fixed: Int
    public var regressions: Int
    public var flaky: Int
    public var declaredMismatch: String?

    enum CodingKeys: String, CodingKey {
        case suite, runID = "run_id", tests, failures, errors, skipped, duplicates, cases
        case newFailures = "new_failures", stillFailing = "still_failing", fixed, regressions, flaky
        case declaredMismatch = "declared_mismatch"
    }

    public init(suite: String, runID: String) {
        self.suite = suite
        self.runID = runID
        tests = 0; failures = 0; errors = 0; skipped = 0; duplicates = 0; cases = 0
        newFailures = 0; stillFailing = 0; fixed = 0; regressions = 0; flaky = 0
    }
}

/// A case started failing (or a guarded case failed again, kind `regression`).
public struct FailureDetected: Codable, Sendable, Equatable {
    public var failure: String
    /// lint, type, test, eval or regression.
    public var kind: FailureKind
    public var suite: String
    public var `case`: String
    public var runID: String
    public var firstFailingRun: String
    /// fail or error, as the failing attempt said.
    public var status: CaseStatus
    /// Whether the case passed in an earlier run (an eval regression when kind is eval).
    public var passedBefore: Bool
    public var skill: String?
    public var message: String?
    /// The trace of the failing attempt (from the report: JUnit properties, promptfoo or
    /// inspect_ai metadata), to open it from the failure.
    public var traceID: String?

    enum CodingKeys: String, CodingKey {
        case failure, kind, suite, `case`, runID = "run_id", firstFailingRun = "first_failing_run", status
        case passedBefore = "passed_before", skill, message, traceID = "trace_id"
    }

    public init(failure: String, kind: FailureKind, suite: String, case key: String, runID: String, status: CaseStatus, passedBefore: Bool) {
        self.failure = failure
        self.kind = kind
        self.suite = suite
        self.case = key
        self.runID = runID
        self.firstFailingRun = runID
        self.status = status
        self.passedBefore = passedBefore
    }
}

/// A regression guard failed: the ratchet slipped.
public struct RegressionDetected: Codable, Sendable, Equatable {
    public var failure: String
    public var suite: String
    public var `case`: String
    public var runID: String
    /// The failure and fix that made the case a guard.
    public var guardFailure: String
    public var guardFix: String?
    public var lastPassingRun: String?

    enum CodingKeys: String, CodingKey {
        case failure, suite, `case`, runID = "run_id", guardFailure = "guard_failure", guardFix = "guard_fix"
        case lastPassingRun = "last_passing_run"
    }

    public init(failure: String, suite: String, `case`: String, runID: String, guardFailure: String, guardFix: String? = nil, lastPassingRun: String? = nil) {
        self.failure = failure
        self.suite = suite
        self.`case` = `case`
        self.runID = runID
        self.guardFailure = guardFailure
        self.guardFix = guardFix
        self.lastPassingRun = lastPassingRun
    }
}

/// A failing case passed again; with a merged fix it becomes a regression guard.
public struct FailureResolved: Codable, Sendable, Equatable {
    public var failure: String
    public var suite: String
    public var `case`: String
    public var runID: String
    public var fix: String?
    public var becameGuard: Bool

    enum CodingKeys: String, CodingKey {
        case failure, suite, `case`, runID = "run_id", fix, becameGuard = "became_guard"
    }

    public init(failure: String, suite: String, `case`: String, runID: String, fix: String? = nil, becameGuard: Bool) {
        self.failure = failure
        self.suite = suite
        self.`case` = `case`
        self.runID = runID
        self.fix = fix
        self.becameGuard = becameGuard
    }
}

/// Which lever to pull for a failure, and why.
public struct DiagnosisRecorded: Codable, Sendable, Equatable {
    public var failure: String
    /// code, threshold or skill.
    public var lever: Lever
    public var target: String
    public var evidence: [String]
    public var confidence: String?
    public var by: String

    public init(failure: String, lever: Lever, target: String, evidence: [String], confidence: String? = nil, by: String) {
        self.failure = failure
        self.lever = lever
        self.target = target
        self.evidence = evidence
        self.confidence = confidence
        self.by = by
    }
}

/// A fix proposed for one or more failures.
public struct FixProposed: Codable, Sendable, Equatable {
    public var fix: String
    public var failures: [String]
    public var lever: Lever
    public var target: String?
    public var change: String
    /// agent or human.
    public var origin: FixOrigin
    /// low, medium or high.
    public var blastRadius: BlastRadius
    public var reversible: Bool
    public var by: String

    enum CodingKeys: String, CodingKey {
        case fix, failures, lever, target, change, origin, blastRadius = "blast_radius", reversible, by
    }

    public init(fix: String, failures: [String], lever: Lever, target: String? = nil, change: String, origin: FixOrigin, blastRadius: BlastRadius, reversible: Bool, by: String) {
        self.fix = fix
        self.failures = failures
        self.lever = lever
        self.target = target
        self.change = change
        self.origin = origin
        self.blastRadius = blastRadius
        self.reversible = reversible
        self.by = by
    }
}

/// A verification run of a fix over the golden dataset, with its flip matrix.
public struct FixVerified: Codable, Sendable, Equatable {
    public var fix: String
    public var suite: String
    public var runID: String
    public var datasetVersion: String?
    /// "declared" or "last-complete-run": where the golden set came from.
    public var datasetSource: DatasetSource
    public var goldenCases: Int
    public var casesCovered: Int
    public var missingCases: [String]
    public var guardsTotal: Int
    public var guardsFailed: [String]
    public var failToPass: [String]
    public var passToFail: [String]
    public var stillFailing: [String]
    /// Whether the run covered the whole golden set and every guard, with no guard failing
    /// and no case flipping from pass to fail.
    public var clean: Bool

    enum CodingKeys: String, CodingKey {
        case fix, suite, runID = "run_id", datasetVersion = "dataset_version", datasetSource = "dataset_source"
        case goldenCases = "golden_cases", casesCovered = "cases_covered", missingCases = "missing_cases"
        case guardsTotal = "guards_total", guardsFailed = "guards_failed", failToPass = "fail_to_pass"
        case passToFail = "pass_to_fail", stillFailing = "still_failing", clean
    }

    public init(fix: String, suite: String, runID: String, datasetVersion: String? = nil, datasetSource: DatasetSource, goldenCases: Int, casesCovered: Int, missingCases: [String], guardsTotal: Int, guardsFailed: [String], failToPass: [String], passToFail: [String], stillFailing: [String], clean: Bool) {
        self.fix = fix
        self.suite = suite
        self.runID = runID
        self.datasetVersion = datasetVersion
        self.datasetSource = datasetSource
        self.goldenCases = goldenCases
        self.casesCovered = casesCovered
        self.missingCases = missingCases
        self.guardsTotal = guardsTotal
        self.guardsFailed = guardsFailed
        self.failToPass = failToPass
        self.passToFail = passToFail
        self.stillFailing = stillFailing
        self.clean = clean
    }
}

/// What the gate decided for a fix, under which policy, and why.
public struct GateDecided: Codable, Sendable, Equatable {
    public var fix: String
    /// auto-merge, review or block.
    public var decision: GateDecision
    public var policySHA256: String
    /// The matching rule's name, or the invariant that overrode it.
    public var rule: String
    public var rulesConsidered: [String]
    public var invariant: String?
    public var facts: [String: String]

    enum CodingKeys: String, CodingKey {
        case fix, decision, policySHA256 = "policy_sha256", rule, rulesConsidered = "rules_considered", invariant, facts
    }

    public init(fix: String, decision: GateDecision, policySHA256: String, rule: String, rulesConsidered: [String], invariant: String? = nil, facts: [String: String]) {
        self.fix = fix
        self.decision = decision
        self.policySHA256 = policySHA256
        self.rule = rule
        self.rulesConsidered = rulesConsidered
        self.invariant = invariant
        self.facts = facts
    }
}

/// A person's review of a fix.
public struct ReviewRecorded: Codable, Sendable, Equatable {
    public var fix: String
    /// approve or reject.
    public var verdict: ReviewVerdict
    public var by: String
    public var comment: String?

    public init(fix: String, verdict: ReviewVerdict, by: String, comment: String? = nil) {
        self.fix = fix
        self.verdict = verdict
        self.by = by
        self.comment = comment
    }
}

/// A fix landed.
public struct FixMerged: Codable, Sendable, Equatable {
    public var fix: String
    public var commit: String
    public var by: String?

    public init(fix: String, commit: String, by: String? = nil) {
        self.fix = fix
        self.commit = commit
        self.by = by
    }
}

/// A merged fix was taken back.
public struct FixReverted: Codable, Sendable, Equatable {
    public var fix: String
    public var reason: String
    public var by: String?

    public init(fix: String, reason: String, by: String? = nil) {
        self.fix = fix
        self.reason = reason
        self.by = by
    }
}

/// A person retired a regression guard, saying why.
public struct GuardRetired: Codable, Sendable, Equatable {
    public var suite: String
    public var `case`: String
    public var reason: String
    public var by: String

    public init(suite: String, `case`: String, reason: String, by: String) {
        self.suite = suite
        self.`case` = `case`
        self.reason = reason
        self.by = by
    }
}

/// A case was renamed: its history carries over to the new key.
public struct CaseAliased: Codable, Sendable, Equatable {
    public var suite: String
    public var from: String
    public var to: String
    public var by: String?

    public init(suite: String, from: String, to: String, by: String? = nil) {
        self.suite = suite
        self.from = from
        self.to = to
        self.by = by
    }
}

/// An autonomy policy came into force: its full text and content hash.
public struct PolicyAdopted: Codable, Sendable, Equatable {
    public var policySHA256: String
    public var text: String
    public var format: PolicyFormat
    public var by: String?

    enum CodingKeys: String, CodingKey {
        case policySHA256 = "policy_sha256", text, format, by
    }

    public init(policySHA256: String, text: String, format: PolicyFormat, by: String? = nil) {
        self.policySHA256 = policySHA256
        self.text = text
        self.format = format
        self.by = by
    }
}

/// A skill map came into force: its full text, its hash and the rules it parses to.
///
/// Adopting a map re-attributes history: the read models that count by skill (`health`,
/// `next --skill`) attribute every case the map matches to the map's skill, in every run
/// before the adoption as after it, so no case counts under two skills. Cases the map does
/// not match keep the skill their events recorded.
public struct SkillMapAdopted: Codable, Sendable, Equatable {
    /// The SHA-256 of `text`'s UTF-8 bytes.
    public var mapSHA256: String
    /// The map's full text, comments included, as adopted.
    public var text: String
    /// The rules `text` parses to, in order (the last match wins).
    public var rules: [SkillMap.Rule]
    public var by: String?

    enum CodingKeys: String, CodingKey {
        case mapSHA256 = "map_sha256", text, rules, by
    }

    public init(mapSHA256: String, text: String, rules: [SkillMap.Rule], by: String? = nil) {
        self.mapSHA256 = mapSHA256
        self.text = text
        self.rules = rules
        self.by = by
    }

    /// The adopted map.
    public var map: SkillMap { SkillMap(rules: rules) }
}

/// A suite's golden dataset was declared: the cases a verification run must cover.
///
/// A dataset too large for one event (each is at most 1 MiB) is declared in consecutive parts,
/// `part` 1 to `parts`, appended together; the set is in force once its last part is read.
public struct DatasetDeclared: Codable, Sendable, Equatable {
    public var suite: String
    public var version: String
    public var cases: [String]
    /// The SHA-256 of the whole dataset (every part's keys, sorted, one a line).
    public var sha256: String
    public var part: Int?
    public var parts: Int?

    public init(suite: String, version: String, cases: [String], sha256: String, part: Int? = nil, parts: Int? = nil) {
        self.suite = suite
        self.version = version
        self.cases = cases
        self.sha256 = sha256
        self.part = part
        self.parts = parts
    }
}

/// A case was quarantined: its failures do not block, until an owner's expiry.
public struct QuarantineStarted: Codable, Sendable, Equatable {
    public var suite: String
    public var `case`: String
    public var owner: String
    public var until: String
    public var reason: String?

    public init(suite: String, `case`: String, owner: String, until: String, reason: String? = nil) {
        self.suite = suite
        self.`case` = `case`
        self.owner = owner
        self.until = until
        self.reason = reason
    }
}

/// A quarantine ended.
public struct QuarantineEnded: Codable, Sendable, Equatable {
    public var suite: String
    public var `case`: String
    public var by: String?

    public init(suite: String, `case`: String, by: String? = nil) {
        self.suite = suite
        self.`case` = `case`
        self.by = by
    }
}
