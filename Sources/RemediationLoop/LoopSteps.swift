import Events
import LedgerStore

/// The recorded steps of the loop after detection: diagnose, propose, review, merge, revert,
/// retire a guard. Each loads the state inside its write transaction, checks that the step
/// makes sense now, says why when it does not, and appends one event. Each reads only
/// the entities it touches (``LoopStateLoader``).
public struct LoopSteps {
    public let ledger: any EventStore

    public init(ledger: any EventStore) {
        self.ledger = ledger
    }

    /// Records which lever to pull for a failure (by id, or by case key while it is open).
    ///
    /// Idempotent for CI: the same diagnosis again (same lever, target, evidence, confidence
    /// and author as the failure's latest) records nothing. An agent or CI job that gives a
    /// different one while the latest still stands (no fix of it rejected or reverted) is
    /// refused as a conflict; a person may always re-diagnose.
    ///
    /// - Throws: ``LoopError`` when the failure is unknown or resolved, a value is invalid, or
    ///   (`.conflict`) an agent contradicts a standing diagnosis.
    @discardableResult
    public func diagnose(_ reference: String, lever: Lever, target: String, evidence: [String] = [],
                         confidence: String? = nil, by actor: String) throws -> DiagnosisRecorded {
        if let confidence { try LoopRules.checkConfidence(confidence) }
        return try ledger.write { writer in
            let loader = try LoopStateLoader(writer)
            let failure = try Self.resolve(reference, in: loader)
            let diagnosis = DiagnosisRecorded(failure: failure.id, lever: lever, target: target, evidence: evidence,
                                              confidence: confidence, by: actor)
            if let latest = failure.diagnoses.last {
                if latest == diagnosis { return latest }
                let failedFixes = failure.fixes.compactMap { loader.state.fixes[$0] }.filter { !$0.isLive }
                if LoopRules.isAgent(actor), failedFixes.isEmpty {
                    throw LoopError(.conflict, "\(failure.id) is diagnosed already (\(latest.lever) \(latest.target) by \(latest.by)); an agent's different diagnosis is refused until a fix of it is rejected or reverted, or a person re-diagnoses")
                }
            }
            try Self.record(writer, loader, LoopStreams.failure(LoopRules.number(failure.id)), .diagnosisRecorded, diagnosis, actor: actor)
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
    public func propose(failures references: [String], fix: String, change: String, blastRadius: BlastRadius,
                        reversible: Bool = true, lever: Lever? = nil, target: String? = nil,
                        by actor: String) throws -> FixProposed {
        try ledger.write { writer in
            try Self.propose(failures: references, fix: fix, change: change, blastRadius: blastRadius, reversible: reversible,
                             lever: lever, target: target, by: actor, in: writer)
        }
    }

    /// Records a proposal inside a write transaction (see ``propose(failures:fix:change:blastRadius:reversible:lever:target:by:)``).
    static func propose(failures references: [String], fix: String, change: String, blastRadius: BlastRadius, reversible: Bool,
                        lever: Lever?, target: String?, by actor: String, in writer: any EventStoreWriter) throws -> FixProposed {
        guard !references.isEmpty else { throw LoopError(.invalidArgument, "name at least one failure the fix addresses") }
        let stream = try LoopStreams.fix(fix)
        let loader = try LoopStateLoader(writer)
        try loader.fix(fix)
        if let existing = loader.state.fixes[fix] {
            // The same proposal again (a retried CI step) records nothing; another one is a conflict.
            let failures = try references.map { try Self.resolve($0, in: loader).id }
            let same = existing.proposal.failures == failures && existing.proposal.change == change
                && existing.proposal.blastRadius == blastRadius && existing.proposal.reversible == reversible
                && existing.proposal.by == actor && (lever == nil || lever == existing.proposal.lever)
                && (target == nil || target == existing.proposal.target)
            guard same else { throw LoopError(.conflict, "fix \(fix) was proposed already, differently; choose a new fix id") }
            return existing.proposal
        }
        let failures = try references.map { try Self.resolve($0, in: loader) }
        let diagnosis = failures.first?.diagnoses.last
        guard let chosenLever = lever ?? diagnosis?.lever else {
            throw LoopError(.invalidState, "\(failures[0].id) has no diagnosis: diagnose it first, or pass --lever")
        }
        let proposal = FixProposed(fix: fix, failures: failures.map(\.id), lever: chosenLever,
                                   target: target ?? diagnosis?.target, change: change,
                                   origin: LoopRules.isAgent(actor) ? .agent : .human, blastRadius: blastRadius,
                                   reversible: reversible, by: actor)
        try Self.record(writer, loader, stream, .fixProposed, proposal, actor: actor, expect: .noStream)
        return proposal
    }

    /// Records a person's review of a fix that has not merged.
    ///
    /// - Throws: ``LoopError`` for an unknown, merged or reverted fix, or a review by an agent.
    @discardableResult
    public func review(fix: String, approve: Bool, comment: String? = nil, by actor: String) throws -> ReviewRecorded {
        let review = ReviewRecorded(fix: fix, verdict: approve ? .approve : .reject, by: actor, comment: comment)
        return try record(review, on: try LoopStreams.fix(fix), .reviewRecorded, actor: actor)
    }

    /// Records that a fix landed.
    ///
    /// A fix may merge when the gate decided auto-merge, or when a person approved it (and
    /// the last review is not a rejection). A blocked fix needs a person's approval.
    ///
    /// - Throws: ``LoopError`` saying what the fix still needs.
    @discardableResult
    public func merged(fix: String, commit: String, by actor: String? = nil) throws -> FixMerged {
        let merge = FixMerged(fix: fix, commit: commit.lowercased(), by: actor)
        return try record(merge, on: try LoopStreams.fix(fix), .fixMerged, actor: actor)
    }

    /// Records that a merged fix was taken back.
    ///
    /// - Throws: ``LoopError`` when the fix is unknown, not merged or reverted already.
    @discardableResult
    public func reverted(fix: String, reason: String, by actor: String? = nil) throws -> FixReverted {
        let revert = FixReverted(fix: fix, reason: reason, by: actor)
        return try record(revert, on: try LoopStreams.fix(fix), .fixReverted, actor: actor)
    }

    /// Retires a regression guard: a person's decision, with a reason, never automatic.
    ///
    /// - Throws: ``LoopError`` when the case is not a holding guard, or the actor is not a person.
    @discardableResult
    public func retireGuard(suite: String, case key: String, reason: String, by actor: String) throws -> GuardRetired {
        let retired = GuardRetired(suite: suite, case: key, reason: reason, by: actor)
        return try record(retired, on: LoopStreams.case(suite: suite, key: key), .guardRetired, actor: actor)
    }

    /// Checks `payload` against the loop's rules in a write transaction, and appends it.
    func record<T: Encodable>(_ payload: T, on stream: StreamName, _ type: LoopEventType, actor: String?) throws -> T {
        try ledger.write { writer in
            try Self.record(writer, try LoopStateLoader(writer), stream, type, payload, actor: actor)
            return payload
        }
    }

    // MARK: - Helpers

    /// A failure by id, or the open failure of a case key (in any suite, if unambiguous).
    static func resolve(_ reference: String, in loader: LoopStateLoader) throws -> LoopState.Failure {
        try loader.failure(reference)
        try loader.casesNamed(reference)
        let state = loader.state
        if let failure = state.failures[reference] { return failure }
        let matches = state.openFailureByCase.filter { $0.key.key == reference }
        if matches.count == 1, let failure = state.failures[matches.first!.value] { return failure }
        if matches.count > 1 {
            throw LoopError(.invalidArgument, "case \(reference) has open failures in several suites (\(matches.values.sorted().joined(separator: ", "))); name the failure id")
        }
        throw LoopError(.notFound, "no failure \(reference): give a failure id (remedy next lists them) or the key of a case that is failing now")
    }

    /// Appends a payload the loop's rules allow in the loaded state (``LoopState/check(_:stream:)``),
    /// and folds it into that state, so a step that records several events checks each
    /// against the ones before it.
    static func record<T: Encodable>(_ writer: any EventStoreWriter, _ loader: LoopStateLoader, _ stream: StreamName, _ type: LoopEventType,
                                     _ payload: T, actor: String?, expect: ExpectedVersion = .any) throws {
        let data = try LoopPayload.encode(payload)
        let event = try LoopEvent(type, data: data)
        try loader.prepare(for: event, stream: stream.rawValue)
        try loader.state.check(event, stream: stream.rawValue)
        try writer.append(try ProposedEvent(stream: stream, type: EventType(type), json: data,
                                            metadata: EventMetadata(actor: actor), expectedVersion: expect,
                                            schemaVersion: type.schemaVersion))
        loader.state.apply(event, stream: stream.rawValue)
    }
}
