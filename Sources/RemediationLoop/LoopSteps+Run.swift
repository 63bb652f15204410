import Events
import LedgerStore

/// The recorded side of `remedy loop run`: taking an item's next step (a lease on it), and
/// ending the step with what its handler answered, or with why the answer was not taken. Each
/// is one write transaction, checked by the loop's rules like every other step, so a step's
/// events (a diagnosis and the step's end, a verification run, its gate decision and the
/// step's end) commit together or not at all.
extension LoopSteps {
    /// What ``takeStep(_:)`` found or did.
    public enum TakenStep: Sendable {
        /// The step is this `loop run`'s now; the context holds what a handler's input needs.
        case started(LoopStepStarted, StepContext)
        /// remedy took the step itself, with no handler: a gate decision (`step` "gate"), or a
        /// diagnosis by one of the config's rules ("diagnose"), said in `detail`. The item may
        /// move on at once.
        case decided(step: String, detail: String)
        /// Nothing to do now: the item waits (for a person, a run, a retry time, another
        /// `loop run`'s lease).
        case waiting(String)
        /// Nothing left to do: the item is resolved, merged, reverted or rejected.
        case closed(String)
        /// The step needs a handler the config does not name.
        case noHandler(HandlerStep)
    }

    /// What the loop knows around a step: the item (its failure, or its fix and their
    /// failures) and every failure its case had, with their diagnoses and fixes.
    public struct StepContext: Sendable {
        public var state: LoopState
        /// The failures of the item's case (of a fix's first failure), oldest first.
        public var caseFailures: [LoopState.Failure]
    }

    /// How to take a step: who takes it, when, for how long, and the config's answers.
    public struct StepRequest {
        public var item: String
        /// This `loop run`: `host:pid`.
        public var holder: String
        public var now: Timestamp
        /// How long the lease lasts for a step (its handler's time limit and a margin).
        public var leaseSeconds: (HandlerStep) -> Int
        /// Whether a step has a handler.
        public var hasHandler: (HandlerStep) -> Bool
        /// A diagnosis the config's rules give for a failure, without a handler.
        public var ruleDiagnosis: (LoopState.Failure) -> (diagnosis: DiagnosisRecorded, rule: String)?
        /// Whether the `loop run` named by a holder is gone (killed on this machine).
        public var holderIsGone: (String) -> Bool
        /// Only say what would happen; record nothing.
        public var dryRun = false

        public init(item: String, holder: String, now: Timestamp, leaseSeconds: @escaping (HandlerStep) -> Int,
                    hasHandler: @escaping (HandlerStep) -> Bool,
                    ruleDiagnosis: @escaping (LoopState.Failure) -> (diagnosis: DiagnosisRecorded, rule: String)?,
                    holderIsGone: @escaping (String) -> Bool) {
            self.item = item
            self.holder = holder
            self.now = now
            self.leaseSeconds = leaseSeconds
            self.hasHandler = hasHandler
            self.ruleDiagnosis = ruleDiagnosis
            self.holderIsGone = holderIsGone
        }
    }

    /// Takes the next step of an item, if it has one no one else holds: records its start (the
    /// lease), or decides the gate or a rule's diagnosis itself.
    ///
    /// A lease that expired, or whose holder is gone from this machine, is ended first (as
    /// `abandoned`, a failed try) and the step taken over.
    ///
    /// - Throws: ``LoopError`` or ``LedgerError``; nothing is recorded then.
    public func takeStep(_ request: StepRequest) throws -> TakenStep {
        try ledger.write { writer in   // a dry run appends nothing
            let loader = try LoopStateLoader(writer)
            try loader.loopItem(request.item)
            let state = loader.state
            let step: HandlerStep
            switch state.step(of: request.item) {
            case .closed(let why): return .closed(why)
            case .waiting(let what): return .waiting(what)
            case .gate:
                guard !request.dryRun else { return .decided(step: "gate", detail: "would decide the gate") }
                let decided = try Self.gate(fix: request.item, in: writer)
                return .decided(step: "gate", detail: "gate: \(decided.decision) (\(decided.invariant ?? decided.rule))")
            case .handler(let next):
                step = next
            }
            if step == .diagnose, let failure = state.failures[request.item], let (diagnosis, rule) = request.ruleDiagnosis(failure) {
                guard !request.dryRun else { return .decided(step: HandlerStep.diagnose.rawValue, detail: "would diagnose by rule \(rule): \(diagnosis.lever) \(diagnosis.target)") }
                try Self.record(writer, loader, LoopStreams.failure(LoopRules.number(failure.id)), .diagnosisRecorded, diagnosis, actor: diagnosis.by)
                return .decided(step: HandlerStep.diagnose.rawValue, detail: "diagnosed by rule \(rule): \(diagnosis.lever) \(diagnosis.target)")
            }
            guard !state.isEscalated(step, item: request.item) else {
                let last = state.loopItems[request.item]?.lastEnded
                return .waiting("a person: its \(step) step was escalated (\(last?.failure?.rawValue ?? "")\(last?.message.map { ": \($0)" } ?? ""))")
            }
            guard request.hasHandler(step) else { return .noHandler(step) }
            let now = request.now.description
            if let open = state.loopItems[request.item]?.open {
                let expired = now >= open.expiresAt
                guard expired || request.holderIsGone(open.holder) else {
                    return .waiting("loop run \(open.holder), which holds its \(open.step) step until \(open.expiresAt)")
                }
                guard !request.dryRun else { return .decided(step: step.rawValue, detail: "would take over \(step) from \(open.holder)") }
                let ended = LoopStepEnded(item: request.item, step: open.step, attempt: open.attempt, result: .retry, failure: .abandoned,
                                          message: expired ? "the lease of \(open.holder) expired at \(open.expiresAt)"
                                                           : "loop run \(open.holder) is gone", retryAt: now)
                try Self.record(writer, loader, try LoopStreams.loopItem(request.item), .loopStepEnded, ended, actor: "remedy")
            } else if let last = state.loopItems[request.item]?.lastEnded, last.result == .retry, last.step == step,
                      let retryAt = last.retryAt, now < retryAt {
                return .waiting("its \(step) handler's retry at \(retryAt) (attempt \(last.attempt) failed: \(last.failure?.rawValue ?? ""))")
            }
            let expires = Timestamp(millisecondsSinceEpoch: request.now.millisecondsSinceEpoch + 1000 * Int64(request.leaseSeconds(step)))
            let started = LoopStepStarted(item: request.item, step: step, attempt: loader.state.attempt(of: step, item: request.item),
                                          holder: request.holder, startedAt: now, expiresAt: expires.description)
            let context = try Self.context(of: request.item, loader, writer)
            guard !request.dryRun else { return .started(started, context) }
            try Self.record(writer, loader, try LoopStreams.loopItem(request.item), .loopStepStarted, started, actor: "remedy")
            return .started(started, context)
        }
    }

    /// What a handler's answer asks the loop to record.
    public enum StepAnswer: Sendable {
        case diagnosis(lever: Lever, target: String, confidence: String?, evidence: [String])
        case proposal(fix: String, change: String, target: String?, blastRadius: BlastRadius, reversible: Bool)
        /// The verification run's reports, ingested as a run of the fix's suite named after the
        /// step (`<fix>-verify-<start millis>`), its cases attributed by `skills` (the gate is
        /// the next step, which remedy decides at once).
        case verification(reports: [String], skills: SkillMap?)
        case merge(commit: String)
        case reviewRequested(link: String?)
    }

    /// What ending a step recorded.
    public struct StepEnding: Sendable {
        /// In a sentence: the diagnosis, the fix, the run and the gate's decision, the merge.
        public var summary: String
        public var ended: LoopStepEnded
    }

    /// Records what a handler answered and the step's end, together.
    ///
    /// - Throws: ``LoopError`` when the lease is no longer this `loop run`'s, or the loop's
    ///   rules refuse the answer (the caller then ends the step as `refused`); nothing is
    ///   recorded then.
    public func finishStep(_ started: LoopStepStarted, answer: StepAnswer, by actor: String, durationMS: Int) throws -> StepEnding {
        try ledger.write { writer in
            // Loaded before anything is appended (a transaction catches its read models up
            // first); each answer's own step loads what it checks, then the step's end.
            let lease = try Self.expectLease(started, writer)
            let summary: String
            var link: String?
            switch answer {
            case .diagnosis(let lever, let target, let confidence, let evidence):
                if let confidence { try LoopRules.checkConfidence(confidence) }
                let loader = try LoopStateLoader(writer)
                try loader.failure(started.item)
                let diagnosis = DiagnosisRecorded(failure: started.item, lever: lever, target: target, evidence: evidence,
                                                  confidence: confidence, by: actor)
                try Self.record(writer, loader, LoopStreams.failure(LoopRules.number(started.item)), .diagnosisRecorded, diagnosis, actor: actor)
                summary = "diagnosed \(lever) \(target)"
            case .proposal(let fix, let change, let target, let blastRadius, let reversible):
                _ = try Self.propose(failures: [started.item], fix: fix, change: change, blastRadius: blastRadius, reversible: reversible,
                                     lever: nil, target: target, by: actor, in: writer)
                summary = "proposed fix \(fix) (\(change), blast radius \(blastRadius))"
            case .verification(let reports, let skills):
                let startedMillis = (try? Timestamp(parsing: started.startedAt))?.millisecondsSinceEpoch ?? 0
                let runID = "\(started.item)-verify-\(startedMillis)"
                let loader = try LoopStateLoader(writer)
                try loader.fix(started.item)
                guard let fix = loader.state.fixes[started.item], let suite = loader.state.suite(of: fix) else {
                    throw LoopError(.notFound, "fix \(started.item) has no failure to name its suite")
                }
                var request = IngestRequest(files: reports, suite: suite, run: runID, actor: actor)
                request.verifies = started.item
                request.skills = skills
                let run = try RunIngester.ingest(request, in: writer)
                summary = "verified in run \(runID) (\(run.cases) cases)"
            case .merge(let commit):
                let merge = FixMerged(fix: started.item, commit: commit.lowercased(), by: actor)
                let loader = try LoopStateLoader(writer)
                try Self.record(writer, loader, try LoopStreams.fix(started.item), .fixMerged, merge, actor: actor)
                summary = "merged at \(merge.commit)"
            case .reviewRequested(let url):
                link = url
                summary = "review requested" + (url.map { " at \($0)" } ?? "")
            }
            let ended = LoopStepEnded(item: started.item, step: started.step, attempt: started.attempt, result: .done,
                                      durationMS: durationMS, link: link)
            try Self.record(writer, lease, try LoopStreams.loopItem(started.item), .loopStepEnded, ended, actor: "remedy")
            return StepEnding(summary: summary, ended: ended)
        }
    }

    /// Records that a step's handler failed or declined: to retry at `retryAt`, or (nil)
    /// escalated to a person.
    ///
    /// - Throws: ``LoopError`` when the lease is no longer this `loop run`'s.
    public func failStep(_ started: LoopStepStarted, failure: HandlerFailure, exitCode: Int?, message: String, stderrTail: String?,
                         durationMS: Int, retryAt: Timestamp?) throws -> LoopStepEnded {
        try ledger.write { writer in
            let lease = try Self.expectLease(started, writer)
            let ended = LoopStepEnded(item: started.item, step: started.step, attempt: started.attempt,
                                      result: retryAt == nil ? .escalated : .retry, failure: failure, exitCode: exitCode,
                                      message: message, stderrTail: stderrTail.flatMap { $0.isEmpty ? nil : $0 },
                                      retryAt: retryAt?.description, durationMS: durationMS)
            try Self.record(writer, lease, try LoopStreams.loopItem(started.item), .loopStepEnded, ended, actor: "remedy")
            return ended
        }
    }

    /// The item's state and its case's failures, with their fixes.
    private static func context(of item: String, _ loader: LoopStateLoader, _ writer: any EventStoreWriter) throws -> StepContext {
        let state = loader.state
        let failure = state.failures[item] ?? state.fixes[item].flatMap { $0.proposal.failures.first }.flatMap { state.failures[$0] }
        var caseFailures: [LoopState.Failure] = []
        if let detected = failure?.detected {
            for row in try writer.rows(LoopFailureRow.self, matching: [("suite", .text(detected.suite)), ("case_key", .text(detected.case))]) {
                caseFailures.append(try LoopWorkingSet.value(LoopState.Failure.self, row.state))
                for fix in caseFailures.last!.fixes { try loader.fix(fix) }
            }
        }
        caseFailures.sort { LoopRules.number($0.id) < LoopRules.number($1.id) }
        return StepContext(state: loader.state, caseFailures: caseFailures)
    }

    /// Refuses to record for a step whose lease another `loop run` has taken over; returns
    /// the state that shows the lease, to record the step's end with.
    private static func expectLease(_ started: LoopStepStarted, _ writer: any EventStoreWriter) throws -> LoopStateLoader {
        let loader = try LoopStateLoader(writer)
        try loader.loopItem(started.item)
        guard loader.state.loopItems[started.item]?.open == started else { throw LeaseLost(started: started) }
        return loader
    }

    /// Where an item stands, for `remedy loop status`.
    public struct ItemStatus: Sendable {
        public var item: String
        public var step: LoopState.ItemStep
        public var loop: LoopState.LoopItem?

        /// What the item waits for, in words: a `loop run`'s lease, a person, a retry time,
        /// or the next `loop run`.
        public var waitsFor: String {
            switch step {
            case .handler(let next):
                if let open = loop?.open { return "loop run \(open.holder) (\(open.step), attempt \(open.attempt)) until \(open.expiresAt)" }
                if loop?.escalated == true, loop?.failedStep == next { return "a person: the \(next) step was escalated" }
                if let last = loop?.lastEnded, last.result == .retry, let retryAt = last.retryAt { return "a retry at \(retryAt)" }
                return "remedy loop run"
            case .gate: return "remedy loop run (or remedy gate)"
            case .waiting(let what): return what
            case .closed(let why): return "nothing: \(why)"
            }
        }
    }

    /// Where each of `items` stands. Reads in a transaction that appends nothing (a ledger
    /// opened read-only is folded from its events instead).
    public func status(of items: [String]) throws -> [ItemStatus] {
        func statuses(_ state: LoopState) -> [ItemStatus] {
            items.map { ItemStatus(item: $0, step: state.step(of: $0), loop: state.loopItems[$0]) }
        }
        guard ledger.isWritable else { return statuses(try LoopState.fold(ledger)) }
        return try ledger.write { writer in
            let loader = try LoopStateLoader(writer)
            for item in items { try loader.loopItem(item) }
            return statuses(loader.state)
        }
    }
}

/// A step's lease lapsed and another `loop run` took the step over: what this one's handler
/// answered is not recorded.
public struct LeaseLost: Error, CustomStringConvertible {
    public var started: LoopStepStarted

    public var description: String {
        "the \(started.step) step of \(started.item) (attempt \(started.attempt)) is no longer this loop run's: its lease lapsed and another took it over; nothing was recorded"
    }
}
