import Events
import Projections

/// One of the loop's events with its payload decoded: what the fold applies and the loop's
/// rules check, decoded once for both.
public enum LoopEvent: Sendable, Equatable {
    case evalRunStarted(EvalRunStarted)
    /// The fields of a case outcome that folds read.
    case caseOutcome(CaseOutcomeRecorded.Summary)
    case evalRunCompleted(EvalRunCompleted)
    case failureDetected(FailureDetected)
    case regressionDetected(RegressionDetected)
    case failureResolved(FailureResolved)
    case diagnosisRecorded(DiagnosisRecorded)
    case fixProposed(FixProposed)
    case fixVerified(FixVerified)
    case gateDecided(GateDecided)
    case reviewRecorded(ReviewRecorded)
    case fixMerged(FixMerged)
    case fixReverted(FixReverted)
    case guardRetired(GuardRetired)
    case caseAliased(CaseAliased)
    case policyAdopted(PolicyAdopted)
    case skillMapAdopted(SkillMapAdopted)
    case datasetDeclared(DatasetDeclared)
    case quarantineStarted(QuarantineStarted)
    case quarantineEnded(QuarantineEnded)
    case loopStepStarted(LoopStepStarted)
    case loopStepEnded(LoopStepEnded)

    /// Decodes a stored (canonical) payload of `type`.
    ///
    /// - Throws: `DecodingError` or ``EventError`` when the payload is not the catalogue's.
    public init(_ type: LoopEventType, data: [UInt8]) throws {
        try self.init(type, from: StoredPayload(data: data))
    }

    /// Decodes the payload of an event as the projections see it, reusing what
    /// ``ProjectedEvent/prepare()`` decoded.
    ///
    /// - Throws: as ``init(_:data:)``.
    public init(_ event: ProjectedEvent) throws {
        guard let type = LoopEventType(rawValue: event.type) else {
            throw EventError(.catalogueMismatch, "\(event.type) is not an event of the loop")
        }
        try self.init(type, from: event)
    }

    private init(_ type: LoopEventType, from source: some PayloadSource) throws {
        func decode<T: Decodable>(_: T.Type) throws -> T { try source.decode(T.self) }
        switch type {
        case .evalRunStarted: self = .evalRunStarted(try decode(EvalRunStarted.self))
        case .caseOutcomeRecorded: self = .caseOutcome(try source.outcome())
        case .evalRunCompleted: self = .evalRunCompleted(try decode(EvalRunCompleted.self))
        case .failureDetected: self = .failureDetected(try decode(FailureDetected.self))
        case .regressionDetected: self = .regressionDetected(try decode(RegressionDetected.self))
        case .failureResolved: self = .failureResolved(try decode(FailureResolved.self))
        case .diagnosisRecorded: self = .diagnosisRecorded(try decode(DiagnosisRecorded.self))
        case .fixProposed: self = .fixProposed(try decode(FixProposed.self))
        case .fixVerified: self = .fixVerified(try decode(FixVerified.self))
        case .gateDecided: self = .gateDecided(try decode(GateDecided.self))
        case .reviewRecorded: self = .reviewRecorded(try decode(ReviewRecorded.self))
        case .fixMerged: self = .fixMerged(try decode(FixMerged.self))
        case .fixReverted: self = .fixReverted(try decode(FixReverted.self))
        case .guardRetired: self = .guardRetired(try decode(GuardRetired.self))
        case .caseAliased: self = .caseAliased(try decode(CaseAliased.self))
        case .policyAdopted: self = .policyAdopted(try decode(PolicyAdopted.self))
        case .skillMapAdopted: self = .skillMapAdopted(try decode(SkillMapAdopted.self))
        case .datasetDeclared: self = .datasetDeclared(try decode(DatasetDeclared.self))
        case .quarantineStarted: self = .quarantineStarted(try decode(QuarantineStarted.self))
        case .quarantineEnded: self = .quarantineEnded(try decode(QuarantineEnded.self))
        case .loopStepStarted: self = .loopStepStarted(try decode(LoopStepStarted.self))
        case .loopStepEnded: self = .loopStepEnded(try decode(LoopStepEnded.self))
        }
    }
}

/// Where a payload is decoded from: canonical bytes, or an event a projection was handed.
private protocol PayloadSource {
    func decode<T: Decodable>(_: T.Type) throws -> T
    func outcome() throws -> CaseOutcomeRecorded.Summary
}

private struct StoredPayload: PayloadSource {
    var data: [UInt8]
    func decode<T: Decodable>(_: T.Type) throws -> T { try LoopPayload.decode(T.self, from: data) }
    func outcome() throws -> CaseOutcomeRecorded.Summary { try CaseOutcomeRecorded.summary(from: data) }
}

extension ProjectedEvent: PayloadSource {}
