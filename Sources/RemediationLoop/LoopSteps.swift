import Events
import LedgerStore

/// The recorded steps of the loop after detection: diagnose, propose, review, merge, revert,
/// retire a guard. Each folds the state inside its write transaction, checks that the step
/// makes sense now, says why when it does not, and appends one event.
public struct LoopSteps {
    public let ledger: Ledger

    public init(ledger: Ledger) {
        self.ledger = ledger
    }

    public static let levers = ["code", "threshold", "skill"]
    public static let blastRadii = ["low", "medium", "high"]

    /// Records which lever to pull for a failure (by id, or by case key while it is open).
    ///
    /// - Throws: ``LoopError`` when the failure is unknown or resolved, or a value is invalid.
    @discardableResult
    public func diagnose(_ reference: String, lever: String, target: String, evidence: [String] = [],
                         confidence: String? = nil, by actor: String) throws -> DiagnosisRecorded {
        guard Self.levers.contains(lever) else {
            throw LoopError(.invalidArgument, "unknown lever '\(lever)' (expected code, threshold or skill)")
        }
        if let confidence {
            guard let value = Double(confidence), value >= 0, value <= 1, !confidence.contains("e") else {
                throw LoopError(.invalidArgument, "confidence '\(confidence)' is not a decimal from 0 to 1")
            }
        }
        return try ledger.write { writer in
            let state = try LoopState.fold(writer)
            let failure = try Self.resolve(reference, in: state)
            guard failure.isOpen else {
                throw LoopError(.invalidState, "\(failure.id) was resolved in run \(failure.resolved!.runID); there is nothing left to diagnose")
            }
            let diagnosis = DiagnosisRecorded(failure: failure.id, lever: lever, target: target, evidence: evidence,
                                              confidence: confidence, by: actor)
            try Self.append(writer, LoopStreams.failure(Self.number(failure.id)), .diagnosisRecorded, diagnosis, actor: actor)
            return diagnosis
        }
    }

    /// Records a fix proposed for one or more open failures.
    ///
    /// The lever and target default to the latest diagnosis of the first failure.
    ///
    /// - Throws: ``LoopError`` when a failure is unknown or resolved, the fix id is taken, or
    ///   no lever is known.
    @discardableResult
    public func propose(failures references: [String], fix: String, change: String, blastRadius: String,
                        reversible: Bool = true, lever: String? = nil, target: String? = nil,
                        by actor: String) throws -> FixProposed {
        guard !references.isEmpty else { throw LoopError(.invalidArgument, "name at least one failure the fix addresses") }
        guard Self.blastRadii.contains(blastRadius) else {
            throw LoopError(.invalidArgument, "unknown blast radius '\(blastRadius)' (expected low, medium or high)")
        }
        if let lever, !Self.levers.contains(lever) {
            throw LoopError(.invalidArgument, "unknown lever '\(lever)' (expected code, threshold or skill)")
        }
        let stream = try LoopStreams.fix(fix)
        return try ledger.write { writer in
            let state = try LoopState.fold(writer)
            guard state.fixes[fix] == nil else {
                throw LoopError(.conflict, "fix \(fix) was proposed already; choose a new fix id")
            }
            let failures = try references.map { try Self.resolve($0, in: state) }
            for failure in failures where !failure.isOpen {
                throw LoopError(.invalidState, "\(failure.id) was resolved in run \(failure.resolved!.runID); a fix needs an open failure")
            }
            let diagnosis = failures.first?.diagnoses.last
            guard let chosenLever = lever ?? diagnosis?.lever else {
                throw LoopError(.invalidState, "\(failures[0].id) has no diagnosis: diagnose it first, or pass --lever")
            }
            let proposal = FixProposed(fix: fix, failures: failures.map(\.id), lever: chosenLever,
                                       target: target ?? diagnosis?.target, change: change,
                                       origin: Self.isAgent(actor) ? "agent" : "human", blastRadius: blastRadius,
                                       reversible: reversible, by: actor)
            try Self.append(writer, stream, .fixProposed, proposal, actor: actor, expect: .noStream)
            return proposal
        }
    }

    /// Records a person's review of a fix that has not merged.
    ///
    /// - Throws: ``LoopError`` for an unknown, merged or reverted fix, or a review by an agent.
    @discardableResult
    public func review(fix: String, approve: Bool, comment: String? = nil, by actor: String) throws -> ReviewRecorded {
        guard !Self.isAgent(actor) else {
            throw LoopError(.invalidArgument, "reviews are a person's: '\(actor)' is an agent or a CI job")
        }
        return try ledger.write { writer in
            let state = try LoopState.fold(writer)
            let current = try Self.fix(fix, in: state)
            guard current.merged == nil else { throw LoopError(.invalidState, "fix \(fix) merged already (commit \(current.merged!.commit)); there is nothing to review") }
            let review = ReviewRecorded(fix: fix, verdict: approve ? "approve" : "reject", by: actor, comment: comment)
            try Self.append(writer, try LoopStreams.fix(fix), .reviewRecorded, review, actor: actor)
            return review
        }
    }

    /// Records that a fix landed.
    ///
    /// A fix may merge when the gate decided auto-merge, or when a person approved it (and
    /// the last review is not a rejection). A blocked fix needs a person's approval.
    ///
    /// - Throws: ``LoopError`` saying what the fix still needs.
    @discardableResult
    public func merged(fix: String, commit: String, by actor: String? = nil) throws -> FixMerged {
        guard !commit.isEmpty, commit.allSatisfy({ $0.isHexDigit }) else {
            throw LoopError(.invalidArgument, "commit '\(commit)' is not a hex commit id")
        }
        return try ledger.write { writer in
            let state = try LoopState.fold(writer)
            let current = try Self.fix(fix, in: state)
            guard current.merged == nil else { throw LoopError(.invalidState, "fix \(fix) merged already (commit \(current.merged!.commit))") }
            let lastReview = current.reviews.last
            if lastReview?.verdict == "reject" {
                throw LoopError(.invalidState, "fix \(fix) was rejected by \(lastReview!.by); it cannot merge")
            }
            let approved = lastReview?.verdict == "approve"
            switch current.gate?.decision {
            case "auto-merge": break
            case "block" where !approved:
                throw LoopError(.invalidState, "fix \(fix) is blocked by the gate (\(current.gate!.rule)); a person must approve it first")
            case "review" where !approved:
                throw LoopError(.invalidState, "fix \(fix) awaits review: the gate asked for a person (\(current.gate!.rule))")
            case nil where !approved:
                throw LoopError(.invalidState, "fix \(fix) has neither a gate decision nor an approval: run remedy gate \(fix), or have a person review it")
            default: break
            }
            let merge = FixMerged(fix: fix, commit: commit.lowercased(), by: actor)
            try Self.append(writer, try LoopStreams.fix(fix), .fixMerged, merge, actor: actor)
            return merge
        }
    }

    /// Records that a merged fix was taken back.
    ///
    /// - Throws: ``LoopError`` when the fix is unknown, not merged or reverted already.
    @discardableResult
    public func reverted(fix: String, reason: String, by actor: String? = nil) throws -> FixReverted {
        guard !reason.isEmpty else { throw LoopError(.invalidArgument, "say why the fix was reverted (--reason)") }
        return try ledger.write { writer in
            let state = try LoopState.fold(writer)
            let current = try Self.fix(fix, in: state)
            guard current.merged != nil else { throw LoopError(.invalidState, "fix \(fix) never merged; there is nothing to revert") }
            guard current.reverted == nil else { throw LoopError(.invalidState, "fix \(fix) was reverted already") }
            let revert = FixReverted(fix: fix, reason: reason, by: actor)
            try Self.append(writer, try LoopStreams.fix(fix), .fixReverted, revert, actor: actor)
            return revert
        }
    }

    /// Retires a regression guard: a person's decision, with a reason, never automatic.
    ///
    /// - Throws: ``LoopError`` when the case is not a holding guard, or the actor is not a person.
    @discardableResult
    public func retireGuard(suite: String, case key: String, reason: String, by actor: String) throws -> GuardRetired {
        guard !Self.isAgent(actor) else {
            throw LoopError(.invalidArgument, "guards are retired by a person: '\(actor)' is an agent or a CI job")
        }
        guard !reason.isEmpty else { throw LoopError(.invalidArgument, "say why the guard is retired (--reason)") }
        return try ledger.write { writer in
            let state = try LoopState.fold(writer)
            guard let current = state.guards[SuiteCase(suite: suite, key: key)], current.isHolding else {
                throw LoopError(.notFound, "\(key) in suite \(suite) is not a regression guard")
            }
            let retired = GuardRetired(suite: suite, case: key, reason: reason, by: actor)
            try Self.append(writer, LoopStreams.case(suite: suite, key: key), .guardRetired, retired, actor: actor)
            return retired
        }
    }

    // MARK: - Helpers

    /// A failure by id, or the open failure of a case key (in any suite, if unambiguous).
    static func resolve(_ reference: String, in state: LoopState) throws -> LoopState.Failure {
        if let failure = state.failures[reference] { return failure }
        let matches = state.openFailureByCase.filter { $0.key.key == reference }
        if matches.count == 1, let failure = state.failures[matches.first!.value] { return failure }
        if matches.count > 1 {
            throw LoopError(.invalidArgument, "case \(reference) has open failures in several suites (\(matches.values.sorted().joined(separator: ", "))); name the failure id")
        }
        throw LoopError(.notFound, "no failure \(reference): give a failure id (remedy next lists them) or the key of a case that is failing now")
    }

    static func fix(_ id: String, in state: LoopState) throws -> LoopState.Fix {
        guard let fix = state.fixes[id] else { throw LoopError(.notFound, "no fix \(id): propose it first (remedy propose ... --fix \(id))") }
        return fix
    }

    static func number(_ failure: String) -> Int {
        Int(failure.dropFirst("failure-".count)) ?? 0
    }

    /// Agents and CI jobs name themselves `agent:...`, `ci` or `ci:...`.
    static func isAgent(_ actor: String) -> Bool {
        actor.hasPrefix("agent:") || actor == "agent" || actor == "ci" || actor.hasPrefix("ci:") || actor == "remedy"
    }

    static func append<T: Encodable>(_ writer: LedgerWriter, _ stream: StreamName, _ type: LoopEventType, _ payload: T,
                                     actor: String?, expect: ExpectedVersion = .any) throws {
        try writer.append(try ProposedEvent(stream: stream, type: try EventType(type.rawValue), json: try LoopPayload.encode(payload),
                                            metadata: EventMetadata(actor: actor), expectedVersion: expect,
                                            schemaVersion: type.schemaVersion))
    }
}
