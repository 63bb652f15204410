/// One line of an NDJSON append batch, decoded into a ``ProposedEvent``.
///
/// The line format is a contract for CI scripts:
///
/// ```json
/// {"stream":"run-81","type":"EvalRunStarted","data":{"suite":"golden"},
///  "id":"0192f5e4-7c1a-7cc3-9a57-2f4e1d0b8a11","expect_version":0,"actor":"ci",
///  "correlation_id":"pipeline-9","causation_id":"...","trace_id":"..."}
/// ```
///
/// `stream`, `type` and `data` are required; the rest are optional. `schema_version`
/// (default 1) may be given too. Any other field is refused, so a typo such as
/// `expected_version` fails loudly instead of being ignored.
public enum BatchLine {
    /// The longest line accepted, in bytes, newline excluded (1 MiB).
    public static let maximumLineSize = 1 << 20

    /// Decodes one line.
    ///
    /// - Throws: ``EventError`` naming the field or JSON problem (callers prefix the line number).
    public static func decode(_ line: some Collection<UInt8>) throws -> ProposedEvent {
        guard line.count <= maximumLineSize else {
            throw EventError(.tooLarge, "the line is \(line.count) bytes; the limit is \(maximumLineSize) bytes")
        }
        var stream: String?, type: String?, data: [UInt8]?, id: String?
        var expected = ExpectedVersion.any
        var schemaVersion = ProposedEvent.defaultSchemaVersion
        var metadata = EventMetadata()

        func string(_ key: String, _ value: [UInt8]) throws -> String {
            guard let text = try CanonicalJSON.decodeString(value) else {
                throw EventError(.invalidBatchLine, "\"\(key)\" must be a string")
            }
            return text
        }
        func integer(_ key: String, _ value: [UInt8]) throws -> Int {
            guard let number = Int(String(decoding: value, as: UTF8.self)), number >= 0 else {
                throw EventError(.invalidBatchLine, "\"\(key)\" must be a non-negative integer")
            }
            return number
        }

        try CanonicalJSON.forEachMember(of: line) { key, value in
            switch key {
            case "stream": stream = try string(key, value)
            case "type": type = try string(key, value)
            case "data":
                guard value.first == UInt8(ascii: "{") else {
                    throw EventError(.notAnObject, "\"data\" must be a JSON object, not \(CanonicalJSON.describeValueStart(value.first ?? 0))")
                }
                data = value
            case "id": id = try string(key, value)
            case "expect_version": expected = .exactly(try integer(key, value))
            case "schema_version": schemaVersion = try integer(key, value)
            case "actor": metadata.actor = try string(key, value)
            case "correlation_id": metadata.correlationID = try string(key, value)
            case "causation_id": metadata.causationID = try string(key, value)
            case "trace_id": metadata.traceID = try string(key, value)
            default:
                throw EventError(.invalidBatchLine, "unknown field \"\(key)\" (expected stream, type, data, id, expect_version, schema_version, actor, correlation_id, causation_id, trace_id)")
            }
        }
        guard let stream else { throw EventError(.invalidBatchLine, "missing \"stream\"") }
        guard let type else { throw EventError(.invalidBatchLine, "missing \"type\"") }
        guard let data else { throw EventError(.invalidBatchLine, "missing \"data\" (use {} for an empty payload)") }
        return try ProposedEvent(
            stream: try StreamName(stream), type: try EventType(type), canonicalData: data,
            id: try id.map { try EventID($0) }, metadata: metadata, expectedVersion: expected,
            schemaVersion: schemaVersion)
    }
}
