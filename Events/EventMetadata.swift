/// Who and what caused an event: the actor, and the ids that tie it to a workflow and a trace.
///
/// All fields are optional. In the stored envelope they form the `metadata` object, with
/// absent fields left out: `{"actor":"ci","correlation_id":"run-81"}`.
public struct EventMetadata: Hashable, Sendable {
    /// The longest value accepted for any metadata field, in UTF-8 bytes.
    public static let maximumLength = 512

    /// Who appended the event: a person, an agent, a CI job.
    public var actor: String?
    /// Groups the events of one workflow (a CI run, a remediation round).
    public var correlationID: String?
    /// The event id or request that caused this one.
    public var causationID: String?
    /// A distributed-tracing id (W3C trace context or the harness's own).
    public var traceID: String?

    public init(actor: String? = nil, correlationID: String? = nil, causationID: String? = nil, traceID: String? = nil) {
        self.actor = actor
        self.correlationID = correlationID
        self.causationID = causationID
        self.traceID = traceID
    }

    /// Checks every present field: non-empty, bounded, no control characters.
    ///
    /// - Throws: ``EventError`` with code `.invalidMetadata`, naming the field.
    public func validate() throws {
        try Self.validate("actor", actor)
        try Self.validate("correlation_id", correlationID)
        try Self.validate("causation_id", causationID)
        try Self.validate("trace_id", traceID)
    }

    private static func validate(_ name: String, _ value: String?) throws {
        guard let value else { return }
        if value.isEmpty { throw EventError(.invalidMetadata, "\(name) is empty; leave it out instead") }
        if value.utf8.count > maximumLength {
            throw EventError(.invalidMetadata, "\(name) is longer than \(maximumLength) bytes")
        }
        // A byte below 0x80 in UTF-8 is always a whole ASCII character.
        if value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw EventError(.invalidMetadata, "\(name) \(StreamName.quoted(value)) contains a control character")
        }
    }

    /// Appends the canonical `metadata` object (keys sorted, absent fields left out).
    public func appendCanonical(to out: inout [UInt8]) {
        // Field by field, keys in canonical order: an array of the four pairs cost an
        // allocation per event appended.
        out.append(UInt8(ascii: "{"))
        var first = true
        func field(_ key: StaticString, _ value: String?) {
            guard let value else { return }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            key.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(UInt8(ascii: "\""))
            out.append(UInt8(ascii: ":"))
            CanonicalJSON.appendString(value, to: &out)
        }
        field("actor", actor)
        field("causation_id", causationID)
        field("correlation_id", correlationID)
        field("trace_id", traceID)
        out.append(UInt8(ascii: "}"))
    }
}
