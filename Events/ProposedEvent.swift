/// What the caller's stream must look like for an append to go ahead.
///
/// Stream versions count from 1: a stream's version is the `stream_version` of its last
/// event, and a stream with no events has version 0.
public enum ExpectedVersion: Sendable {
    /// Append whatever the stream's version.
    case any
    /// The stream must have no events yet (the same as `.exactly(0)`).
    case noStream
    /// The stream's current version must be exactly this.
    case exactly(Int)

    /// The version this expectation requires, or nil for `.any`. Two expectations are equal
    /// when they require the same (`.noStream` equals `.exactly(0)`).
    public var required: Int? {
        switch self {
        case .any: return nil
        case .noStream: return 0
        case .exactly(let version): return version
        }
    }
}

extension ExpectedVersion: Hashable {
    public static func == (lhs: ExpectedVersion, rhs: ExpectedVersion) -> Bool { lhs.required == rhs.required }
    public func hash(into hasher: inout Hasher) { hasher.combine(required) }
}

/// An event a caller asks the ledger to append: everything but what the ledger assigns
/// (position, stream version, recorded-at).
public struct ProposedEvent: Sendable, Equatable {
    /// The default schema version of a payload.
    public static let defaultSchemaVersion = 1
    /// The largest canonical payload accepted, in bytes (1 MiB).
    public static let maximumPayloadSize = 1 << 20

    public var stream: StreamName
    public var type: EventType
    /// The payload, already canonical JSON, always an object.
    public private(set) var data: [UInt8]
    /// The caller's id, or nil to let the ledger generate one.
    public var id: EventID?
    public var metadata: EventMetadata
    public var expectedVersion: ExpectedVersion
    public var schemaVersion: Int
    /// For a case outcome of the catalogue: the fields folds read, found when the payload
    /// was checked, so the loop need not parse nearly every event twice.
    public private(set) var outcome: CaseOutcomeRecorded.Summary?

    /// Creates a proposed event from a payload that is canonicalized here.
    ///
    /// - Throws: ``EventError`` when the payload is not a JSON object, is malformed, holds an
    ///   unsupported number, is too large, or the metadata is invalid.
    public init(
        stream: StreamName, type: EventType, json: some Collection<UInt8>, id: EventID? = nil,
        metadata: EventMetadata = EventMetadata(), expectedVersion: ExpectedVersion = .any,
        schemaVersion: Int = ProposedEvent.defaultSchemaVersion
    ) throws {
        let data = try CanonicalJSON.canonicalizeObject(json)
        var outcome: CaseOutcomeRecorded.Summary?
        if schemaVersion == ProposedEvent.defaultSchemaVersion, let known = LoopEventType(rawValue: type.rawValue) {
            outcome = try known.validate(data)
        }
        try self.init(stream: stream, type: type, canonicalData: data,
                      id: id, metadata: metadata, expectedVersion: expectedVersion, schemaVersion: schemaVersion, outcome: outcome)
    }

    /// Creates a proposed event from a payload that is already canonical JSON.
    ///
    /// Internal: only this module's own parsers produce canonical bytes it can trust.
    ///
    /// - Throws: ``EventError`` when the payload is too large or the metadata is invalid.
    init(
        stream: StreamName, type: EventType, canonicalData: [UInt8], id: EventID? = nil,
        metadata: EventMetadata = EventMetadata(), expectedVersion: ExpectedVersion = .any,
        schemaVersion: Int = ProposedEvent.defaultSchemaVersion, outcome: CaseOutcomeRecorded.Summary? = nil
    ) throws {
        guard canonicalData.count <= Self.maximumPayloadSize else {
            throw EventError(.tooLarge, "the payload is \(canonicalData.count) bytes; the limit is \(Self.maximumPayloadSize) bytes")
        }
        guard canonicalData.first == UInt8(ascii: "{") else {
            throw EventError(.notAnObject, "the payload must be a JSON object")
        }
        guard schemaVersion >= 1 else {
            throw EventError(.invalidBatchLine, "schema version must be 1 or more, not \(schemaVersion)")
        }
        try metadata.validate()
        self.stream = stream
        self.type = type
        self.data = canonicalData
        self.id = id
        self.metadata = metadata
        self.expectedVersion = expectedVersion
        self.schemaVersion = schemaVersion
        self.outcome = outcome
    }
}
