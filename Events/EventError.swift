/// An event that cannot be accepted into the ledger, with a message a user can act on.
///
/// Every failure to parse, validate or canonicalize an event raises this one type, so callers
/// can match on ``Code`` (to choose an exit code, say) and show ``message`` as it is.
///
/// ```swift
/// do { _ = try CanonicalJSON.canonicalizeObject(Array(#"{"a":1.5}"#.utf8)) }
/// catch let error as EventError where error.code == .unsupportedNumber { ... }
/// ```
public typealias EventError = CodedError<EventErrorCode>

/// The codes of ``EventError``.
public enum EventErrorCode: String, Sendable, Equatable {
    /// The bytes are not well-formed JSON.
    case malformedJSON
    /// A number the canonical form cannot carry (a fraction, an exponent, or beyond ±2^53-1).
    case unsupportedNumber
    /// A string or key is not valid UTF-8.
    case invalidUTF8
    /// A payload that must be a JSON object is something else.
    case notAnObject
    /// A stream name that is not `category-id`.
    case invalidStreamName
    /// An event type that is not a plain identifier.
    case invalidEventType
    /// An event id that is not a UUID.
    case invalidEventID
    /// A metadata value that is too long or holds control characters.
    case invalidMetadata
    /// A payload or batch line over the size limit.
    case tooLarge
    /// A batch line that is JSON but not a valid event request (missing or unknown field).
    case invalidBatchLine
    /// A batch with no events in it.
    case emptyBatch
    /// A timestamp that is not RFC 3339.
    case invalidTimestamp
    /// A payload of a catalogue event type that does not have the catalogue's fields.
    case catalogueMismatch
    /// A skill map line that is not `glob  skill`.
    case invalidSkillMap
}

extension CodedError where Kind == EventErrorCode {
    /// A JSON object that names the same key twice (I-JSON, RFC 7493 §2.3, forbids it).
    static func duplicateKey(_ key: String) -> EventError {
        EventError(.malformedJSON, "malformed JSON: duplicate key \"\(key)\" in an object")
    }
}

