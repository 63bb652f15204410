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

    /// The fields a line may have.
    static let fields = ["stream", "type", "data", "id", "expect_version", "schema_version",
                         "actor", "correlation_id", "causation_id", "trace_id"]

    /// Decodes one line.
    ///
    /// Each field is parsed straight into what it becomes (the payload into its canonical
    /// bytes), in one pass over the line.
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
        var seen: UInt32 = 0

        try CanonicalJSON.withParser(line) { parser in
            try parser.walkObject { parser, keyBytes in
                let key = String(decoding: keyBytes, as: UTF8.self)
                guard let field = fields.firstIndex(of: key) else {
                    throw EventError(.invalidBatchLine, "unknown field \"\(key)\" (expected \(fields.joined(separator: ", ")))")
                }
                guard seen & (1 << field) == 0 else {
                    throw EventError.duplicateKey(key)
                }
                seen |= 1 << field
                func string() throws -> String {
                    guard let text = try parser.parseStringValue() else {
                        throw EventError(.invalidBatchLine, "\"\(key)\" must be a string")
                    }
                    return text
                }
                func count() throws -> Int {
                    guard let number = try parser.parseIntegerValue(), number >= 0 else {
                        throw EventError(.invalidBatchLine, "\"\(key)\" must be a non-negative integer")
                    }
                    return number
                }
                switch key {
                case "stream": stream = try string()
                case "type": type = try string()
                case "data":
                    if let first = parser.peek(), first != UInt8(ascii: "{") {
                        throw EventError(.notAnObject, "\"data\" must be a JSON object, not \(CanonicalJSON.describeValueStart(first))")
                    }
                    var payload = [UInt8]()
                    payload.reserveCapacity(line.count)
                    try parser.parseValue(into: &payload)
                    data = payload
                case "id": id = try string()
                case "expect_version": expected = .exactly(try count())
                case "schema_version": schemaVersion = try count()
                case "actor": metadata.actor = try string()
                case "correlation_id": metadata.correlationID = try string()
                case "causation_id": metadata.causationID = try string()
                case "trace_id": metadata.traceID = try string()
                default: break
                }
            }
        }
        guard let stream else { throw EventError(.invalidBatchLine, "missing \"stream\"") }
        guard let type else { throw EventError(.invalidBatchLine, "missing \"type\"") }
        guard let data else { throw EventError(.invalidBatchLine, "missing \"data\" (use {} for an empty payload)") }
        var outcome: CaseOutcomeRecorded.Summary?
        let known = LoopEventType(rawValue: type)
        if schemaVersion == ProposedEvent.defaultSchemaVersion, let known {
            outcome = try known.validate(data)
        }
        return try ProposedEvent(
            stream: try StreamName(stream), type: try known.map(EventType.init) ?? EventType(type), canonicalData: data,
            id: try id.map { try EventID($0) }, metadata: metadata, expectedVersion: expected,
            schemaVersion: schemaVersion, outcome: outcome)
    }
}
