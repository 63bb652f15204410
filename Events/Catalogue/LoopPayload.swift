#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Encoding and decoding the loop's payloads to and from canonical JSON.
public enum LoopPayload {
    /// The canonical bytes of a payload.
    ///
    /// - Throws: ``EventError`` when the payload holds something the canonical form refuses.
    public static func encode<T: Encodable>(_ payload: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try CanonicalJSON.canonicalizeObject(Array(try encoder.encode(payload)))
    }

    /// A payload decoded from stored canonical bytes.
    ///
    /// - Throws: `DecodingError` when the bytes do not hold this payload.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}

extension CaseOutcomeRecorded {
    /// The canonical bytes, written directly: ingest writes one of these per case attempt, and
    /// going through `JSONEncoder` would cost more than the rest of ingest together.
    public var canonicalBytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(256 + (message?.utf8.count ?? 0))
        out.append(UInt8(ascii: "{"))
        func key(_ name: String) {
            if out.count > 1 { out.append(UInt8(ascii: ",")) }
            CanonicalJSON.appendString(name, to: &out)
            out.append(UInt8(ascii: ":"))
        }
        key("attempt"); CanonicalJSON.appendInteger(attempt, to: &out)
        key("case"); CanonicalJSON.appendString(self.case, to: &out)
        if let durationMS { key("duration_ms"); CanonicalJSON.appendInteger(durationMS, to: &out) }
        if let message { key("message"); CanonicalJSON.appendString(message, to: &out) }
        if let properties, !properties.isEmpty {
            key("properties")
            var object = [UInt8]()
            object.append(UInt8(ascii: "{"))
            for (index, (name, value)) in properties.enumerated() {
                if index > 0 { object.append(UInt8(ascii: ",")) }
                CanonicalJSON.appendString(name, to: &object)
                object.append(UInt8(ascii: ":"))
                CanonicalJSON.appendString(value, to: &object)
            }
            object.append(UInt8(ascii: "}"))
            // Sorting arbitrary keys by UTF-16 code units is the canonicalizer's job.
            out.append(contentsOf: (try? CanonicalJSON.canonicalize(object)) ?? Array("{}".utf8))
        }
        if let score { key("score"); CanonicalJSON.appendString(score, to: &out) }
        if let skill { key("skill"); CanonicalJSON.appendString(skill, to: &out) }
        key("status"); CanonicalJSON.appendString(status, to: &out)
        if let threshold { key("threshold"); CanonicalJSON.appendString(threshold, to: &out) }
        if let traceID { key("trace_id"); CanonicalJSON.appendString(traceID, to: &out) }
        out.append(UInt8(ascii: "}"))
        return out
    }
}

extension ProposedEvent {
    /// A case-outcome event, its payload written canonically by construction (no re-parse).
    ///
    /// - Throws: ``EventError`` when the metadata is invalid or the payload too large.
    public init(stream: StreamName, outcome: CaseOutcomeRecorded, metadata: EventMetadata) throws {
        try self.init(stream: stream, type: try EventType(LoopEventType.caseOutcomeRecorded.rawValue),
                      canonicalData: outcome.canonicalBytes, metadata: metadata,
                      schemaVersion: LoopEventType.caseOutcomeRecorded.schemaVersion)
    }
}

extension CaseOutcomeRecorded {
    /// The `case` and `status` of a stored case-outcome payload, read without decoding the rest:
    /// folding the loop's state reads these two fields of every outcome in the ledger.
    ///
    /// - Throws: ``EventError`` when the bytes are not such a payload.
    public static func caseAndStatus(from data: [UInt8]) throws -> (case: String, status: String) {
        var key: String?, status: String?
        try CanonicalJSON.withParser(data) { parser in
            var skipped = [UInt8]()
            try parser.walkObject { parser, name in
                if name.elementsEqual("case".utf8) {
                    key = try parser.parseStringValue()
                } else if name.elementsEqual("status".utf8) {
                    status = try parser.parseStringValue()
                } else {
                    skipped.removeAll(keepingCapacity: true)
                    try parser.parseValue(into: &skipped)
                }
            }
        }
        guard let key, let status else { throw EventError(.malformedJSON, "a case outcome without \"case\" or \"status\"") }
        return (key, status)
    }
}
