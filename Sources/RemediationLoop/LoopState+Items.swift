import Events

/// Where each item of the queue (a failure, a fix) stands for `remedy loop run`: which step it
/// needs next, whether a `loop run` holds that step, how many tries of it failed, and whether
/// it was handed to a person.
extension LoopState {
    /// What `remedy loop run` knows of one item, folded from its `loop-<item>` stream.
    public struct LoopItem: Sendable, Equatable {
        /// The step a `loop run` holds now (its lease), and the item's stage when it started.
        public var open: LoopStepStarted?
        var openStage: String?
        /// How the last step ended.
        public var lastEnded: LoopStepEnded?
        /// Consecutive failed tries of one step at one stage, and whether they were escalated.
        public var failedStep: HandlerStep?
        var failedStage: String?
        public var failedAttempts = 0
        public var escalated = false
        /// The verification run whose gate decision the review handler has posted.
        public var reviewedVerification: String?

        public init() {}
    }

    /// What an item needs next.
    public enum ItemStep: Sendable, Equatable {
        /// A handler's step.
        case handler(HandlerStep)
        /// The gate, which remedy decides itself.
        case gate
        /// Nothing the loop can do: it waits for what the text says (a person, a run).
        case waiting(String)
        /// The item is closed (resolved, merged, reverted, rejected).
        case closed(String)
    }

    /// The step `item` (a failure or a fix id) needs next.
    public func step(of item: String) -> ItemStep {
        if let failure = failures[item] {
            guard failure.isOpen else { return .closed("resolved in run \(failure.resolved!.runID)") }
            let live = failure.fixes.compactMap { fixes[$0] }.filter(\.isLive)
            if let merged = live.first(where: { $0.merged != nil }) {
                return .waiting("a run that shows \(failure.detected.case) passing with fix \(merged.id) merged")
            }
            if let fix = live.first { return .waiting("fix \(fix.id)") }
            return failure.diagnoses.isEmpty ? .handler(.diagnose) : .handler(.propose)
        }
        guard let fix = fixes[item] else { return .closed("no failure or fix \(item)") }
        if fix.reverted != nil { return .closed("reverted") }
        if let merged = fix.merged { return .closed("merged at \(merged.commit)") }
        if fix.reviews.last?.verdict == .reject { return .closed("rejected by \(fix.reviews.last!.by)") }
        guard let verification = fix.verification else { return .handler(.verify) }
        guard let gate = fix.gate else { return .gate }
        if gate.decision == .autoMerge || fix.reviews.last?.verdict == .approve { return .handler(.merge) }
        if loopItems[item]?.reviewedVerification == verification.runID {
            return .waiting("a person's review: the gate said \(gate.decision) (\(gate.invariant ?? gate.rule)); remedy review \(item) --approve|--reject")
        }
        return .handler(.review)
    }

    /// The item's progress so far, as text: a step failed at one stage counts toward the next
    /// try only while the item is still there.
    func stage(of item: String) -> String {
        if let failure = failures[item] { return "failure d\(failure.diagnoses.count) f\(failure.fixes.count)" }
        guard let fix = fixes[item] else { return "" }
        return "fix v\(fix.verification?.runID ?? "-") g\(fix.gate?.decision.rawValue ?? "-") r\(fix.reviews.count)"
    }

    /// The attempt number the next try of `step` of `item` gets.
    public func attempt(of step: HandlerStep, item: String) -> Int {
        guard let loop = loopItems[item], loop.failedStep == step, loop.failedStage == stage(of: item) else { return 1 }
        return loop.failedAttempts + 1
    }

    /// Whether `step` of `item` was handed to a person at the item's current stage.
    public func isEscalated(_ step: HandlerStep, item: String) -> Bool {
        guard let loop = loopItems[item], loop.escalated else { return false }
        return loop.failedStep == step && loop.failedStage == stage(of: item)
    }

    mutating func apply(_ started: LoopStepStarted) {
        var loop = loopItems[started.item] ?? LoopItem()
        loop.open = started
        loop.openStage = stage(of: started.item)
        loopItems[started.item] = loop
    }

    mutating func apply(_ ended: LoopStepEnded) {
        var loop = loopItems[ended.item] ?? LoopItem()
        let stage = loop.openStage
        loop.open = nil
        loop.openStage = nil
        loop.lastEnded = ended
        switch ended.result {
        case .done:
            loop.failedStep = nil
            loop.failedStage = nil
            loop.failedAttempts = 0
            loop.escalated = false
            if ended.step == .review { loop.reviewedVerification = fixes[ended.item]?.verification?.runID }
        case .retry, .escalated:
            if loop.failedStep == ended.step && loop.failedStage == stage {
                loop.failedAttempts += 1
            } else {
                loop.failedStep = ended.step
                loop.failedStage = stage
                loop.failedAttempts = 1
            }
            loop.escalated = ended.result == .escalated
        }
        loopItems[ended.item] = loop
    }

    // MARK: - Rules

    func check(_ started: LoopStepStarted, stream: String) throws {
        try expectStream(stream, try LoopStreams.loopItem(started.item), for: "LoopStepStarted")
        guard failures[started.item] != nil || fixes[started.item] != nil else {
            throw LoopError(.notFound, "no failure or fix \(started.item) for the loop to work on")
        }
        guard step(of: started.item) == .handler(started.step) else {
            throw LoopError(.invalidState, "\(started.item) is not at step \(started.step) (\(Self.describe(step(of: started.item))))")
        }
        guard !isEscalated(started.step, item: started.item) else {
            throw LoopError(.invalidState, "\(started.item)'s \(started.step) step was handed to a person; it waits for one")
        }
        let expected = attempt(of: started.step, item: started.item)
        guard started.attempt == expected else {
            throw LoopError(.invalidState, "the next try of \(started.item)'s \(started.step) step is attempt \(expected), not \(started.attempt)")
        }
        if let open = loopItems[started.item]?.open, started.startedAt < open.expiresAt {
            throw LoopError(.invalidState, "\(started.item) is held by loop run \(open.holder) (\(open.step), attempt \(open.attempt)) until \(open.expiresAt)")
        }
    }

    func check(_ ended: LoopStepEnded, stream: String) throws {
        try expectStream(stream, try LoopStreams.loopItem(ended.item), for: "LoopStepEnded")
        guard let open = loopItems[ended.item]?.open, open.step == ended.step, open.attempt == ended.attempt else {
            throw LoopError(.invalidState, "no \(ended.step) step of \(ended.item) at attempt \(ended.attempt) is in progress")
        }
        switch ended.result {
        case .done where ended.failure != nil:
            throw LoopError(.invalidArgument, "a step that is done has no failure")
        case .retry where ended.failure == nil || ended.retryAt == nil:
            throw LoopError(.invalidArgument, "a step to retry says why (failure) and when (retry_at)")
        case .escalated where ended.failure == nil:
            throw LoopError(.invalidArgument, "an escalated step says why (failure)")
        default:
            break
        }
    }

    /// An item's step in words, for messages and `remedy loop status`.
    public static func describe(_ step: ItemStep) -> String {
        switch step {
        case .handler(let step): "needs \(step)"
        case .gate: "needs the gate"
        case .waiting(let what): "waits for \(what)"
        case .closed(let why): "closed: \(why)"
        }
    }
}

extension LoopState.Fix {
    /// Not reverted and not rejected: a fix that still counts for its failures (as the queue
    /// counts it).
    public var isLive: Bool { reverted == nil && reviews.last?.verdict != .reject }
}
