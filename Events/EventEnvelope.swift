/// The envelope of a stored event, and the one function that writes its canonical bytes.
///
/// The envelope is serialized once, at append, and those exact bytes are what the ledger
/// stores, hashes into its integrity tree and exports; nothing ever re-serializes them. Keys
/// are in canonical (sorted) order:
///
/// ```json
/// {"data":{...},"id":"0192...","metadata":{"actor":"ci"},"position":42,
///  "recorded_at":"2026-11-25T09:27:15.123Z","schema_version":1,"stream":"fix-42",
///  "stream_version":3,"type":"FixProposed"}
/// ```
public struct EventEnvelope: Sendable, Equatable {
    /// The global position: 1 for the first event, gapless, in commit order.
    public var position: Int
    public var id: EventID
    public var stream: StreamName
    /// The position within the stream: 1 for its first event, gapless.
    public var streamVersion: Int
    public var type: EventType
    public var schemaVersion: Int
    /// When the ledger recorded the event (UTC, never earlier than the event before it).
    public var recordedAt: Timestamp
    public var metadata: EventMetadata
    /// The canonical payload object.
    public var data: [UInt8]

    public init(position: Int, id: EventID, stream: StreamName, streamVersion: Int, type: EventType,
                schemaVersion: Int, recordedAt: Timestamp, metadata: EventMetadata, data: [UInt8]) {
        self.position = position
        self.id = id
        self.stream = stream
        self.streamVersion = streamVersion
        self.type = type
        self.schemaVersion = schemaVersion
        self.recordedAt = recordedAt
        self.metadata = metadata
        self.data = data
    }

    /// The canonical bytes of this envelope.
    public var canonicalBytes: [UInt8] {
        var out = [UInt8]()
        appendCanonical(to: &out)
        return out
    }

    /// Appends the canonical bytes of this envelope to `out`.
    public func appendCanonical(to out: inout [UInt8]) {
        Self.appendCanonical(data: data, id: id, metadata: metadata, position: position,
                             recordedAt: recordedAt.description, schemaVersion: schemaVersion,
                             stream: stream, streamVersion: streamVersion, type: type, to: &out)
    }

    /// Writes an envelope from its parts without building the struct (the append hot path).
    public static func appendCanonical(
        data: [UInt8], id: EventID, metadata: EventMetadata, position: Int, recordedAt: String,
        schemaVersion: Int, stream: StreamName, streamVersion: Int, type: EventType, to out: inout [UInt8]
    ) {
        out.reserveCapacity(out.count + data.count + 256)
        key("data", &out); out.append(contentsOf: data)
        key("id", &out); CanonicalJSON.appendString(id.rawValue, to: &out)
        key("metadata", &out); metadata.appendCanonical(to: &out)
        key("position", &out); CanonicalJSON.appendInteger(position, to: &out)
        key("recorded_at", &out); CanonicalJSON.appendString(recordedAt, to: &out)
        key("schema_version", &out); CanonicalJSON.appendInteger(schemaVersion, to: &out)
        key("stream", &out); CanonicalJSON.appendString(stream.rawValue, to: &out)
        key("stream_version", &out); CanonicalJSON.appendInteger(streamVersion, to: &out)
        key("type", &out); CanonicalJSON.appendString(type.rawValue, to: &out)
        out.append(UInt8(ascii: "}"))
    }

    private static func key(_ name: StaticString, _ out: inout [UInt8]) {
        out.append(name.utf8Start[0] == UInt8(ascii: "d") ? UInt8(ascii: "{") : UInt8(ascii: ","))
        out.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }
}

extension EventEnvelope {
    /// Reads an envelope back from its stored canonical bytes.
    ///
    /// Used to show events and to check that a stored row agrees with its own bytes.
    ///
    /// - Throws: ``EventError`` when the bytes are not a well-formed envelope.
    public init(decoding body: some Collection<UInt8>) throws {
        var fields: [String: [UInt8]] = [:]
        try CanonicalJSON.forEachMember(of: body) { key, value in fields[key] = value }
        func field(_ name: String) throws -> [UInt8] {
            guard let value = fields[name] else { throw EventError(.malformedJSON, "the envelope has no \"\(name)\"") }
            return value
        }
        func string(_ name: String) throws -> String {
            let raw = try field(name)
            guard let text = try CanonicalJSON.decodeString(raw) else {
                throw EventError(.malformedJSON, "the envelope's \"\(name)\" is not a string")
            }
            return text
        }
        func integer(_ name: String) throws -> Int {
            guard let value = Int(String(decoding: try field(name), as: UTF8.self)) else {
                throw EventError(.malformedJSON, "the envelope's \"\(name)\" is not an integer")
            }
            return value
        }
        let metadataFields = try CanonicalJSON.decodeStringObject(try field("metadata"))
        self.init(
            position: try integer("position"),
            id: try EventID(try string("id")),
            stream: try StreamName(try string("stream")),
            streamVersion: try integer("stream_version"),
            type: try EventType(try string("type")),
            schemaVersion: try integer("schema_version"),
            recordedAt: try Timestamp(parsing: try string("recorded_at")),
            metadata: EventMetadata(actor: metadataFields["actor"], correlationID: metadataFields["correlation_id"],
                                    causationID: metadataFields["causation_id"], traceID: metadataFields["trace_id"]),
            data: try field("data"))
    }
}
