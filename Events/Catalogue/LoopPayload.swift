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

    /// A payload decoded from stored canonical bytes (with ``PayloadDecoder``, not
    /// `JSONDecoder`: folds decode every event they read).
    ///
    /// - Throws: `DecodingError` when the bytes do not hold this payload, ``EventError`` when
    ///   they are not JSON.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        try PayloadDecoder().decode(type, from: bytes)
    }
}

extension LoopEventType {
    /// Checks that a payload of this type has the catalogue's fields (schema version 1): its
    /// Swift type decodes it. The ledger accepts any event type, but a catalogue type with
    /// another shape would be an event no read model or decision could ever fold; events are
    /// immutable, so it is refused on the way in.
    ///
    /// - Returns: for a case outcome, the fields folds read, found on the way (so the loop's
    ///   checks need not parse the payload again).
    /// - Throws: ``EventError`` (`.catalogueMismatch`) naming the field.
    @discardableResult
    public func validate(_ payload: some Collection<UInt8>) throws -> CaseOutcomeRecorded.Summary? {
        func decode<T: Decodable>(_: T.Type) throws { _ = try PayloadDecoder().decode(T.self, from: payload) }
        do {
            // Nearly every event is an outcome: checked field by field in one pass, which
            // keeps a million-event batch as fast as it was without the check.
            if self == .caseOutcomeRecorded { return try CaseOutcomeRecorded.validate(payload) }
            try decode(payloadType)
            return nil
        } catch let error as DecodingError {
            throw EventError(.catalogueMismatch, "\(rawValue) payloads must have the catalogue's fields "
                             + "(Events/Catalogue/schemas/\(rawValue).schema.json): \(DecodingErrorText.describe(error))")
        }
    }
}

extension DatasetDeclared {
    /// Adds one declaration to the set being assembled from parts, and returns the set in
    /// force once this declaration completes it (at once for a set in one part).
    ///
    /// Parts are written together and in order; the set takes force with its last part, its
    /// cases every part's, in order.
    public static func assemble(_ declared: DatasetDeclared, pending: inout DatasetDeclared?) -> DatasetDeclared? {
        guard let parts = declared.parts, parts > 1 else { return declared }
        var assembled = declared
        if declared.part != 1, var earlier = pending {
            earlier.cases += declared.cases
            assembled = earlier
        }
        guard declared.part == parts else {
            pending = assembled
            return nil
        }
        pending = nil
        assembled.part = nil
        assembled.parts = nil
        return assembled
    }
}

extension CaseOutcomeRecorded {
    /// Checks a canonical payload has the fields ``CaseOutcomeRecorded`` decodes, with their
    /// types, as `Decodable` would (unknown fields are allowed, as they are there), and a case
    /// key that is not empty (the schema's `minLength`).
    ///
    /// - Returns: the fields folds read.
    /// - Throws: `DecodingError` naming the field, as the decoder would.
    static func validate(_ payload: some Collection<UInt8>) throws -> Summary {
        var key: String?, status: CaseStatus?, attempt: Int?, skill: String?
        func mismatch(_ key: String, _ type: Any.Type) -> DecodingError {
            .typeMismatch(type, .init(codingPath: [CodingKeys(stringValue: key) ?? CodingKeys.case], debugDescription: "\(key)"))
        }
        try CanonicalJSON.withParser(payload) { parser in
            try parser.walkObject { parser, name in
                let field = String(decoding: name, as: UTF8.self)
                switch field {
                case "case", "status", "score", "threshold", "message", "trace_id", "skill",
                     "expected", "expected_sha256", "actual", "actual_sha256", "output", "output_sha256":
                    if parser.peek() == UInt8(ascii: "n") && field != "case" && field != "status" { try parser.skipStoredValue(); return }
                    guard let value = try parser.parseStringValue() else { throw mismatch(field, String.self) }
                    switch field {
                    case "case": key = value
                    case "status":
                        guard let word = CaseStatus(rawValue: value) else {
                            throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.status],
                                                                    debugDescription: "unknown \(CaseStatus.setName) '\(value)' (expected \(CaseStatus.wordList))"))
                        }
                        status = word
                    case "skill": skill = value
                    default: break
                    }
                case "attempt", "duration_ms":
                    if parser.peek() == UInt8(ascii: "n") && field == "duration_ms" { try parser.skipStoredValue(); return }
                    guard let value = try parser.parseIntegerValue() else { throw mismatch(field, Int.self) }
                    if field == "attempt" { attempt = value }
                case "properties":
                    if parser.peek() == UInt8(ascii: "n") { try parser.skipStoredValue(); return }
                    guard parser.peek() == UInt8(ascii: "{") else { throw mismatch(field, [String: String].self) }
                    try parser.walkObject { parser, _ in
                        guard try parser.parseStringValue() != nil else { throw mismatch(field, String.self) }
                    }
                default:
                    try parser.skipStoredValue()
                }
            }
        }
        for (required, present) in [("case", key != nil), ("attempt", attempt != nil), ("status", status != nil)] where !present {
            throw DecodingError.keyNotFound(CodingKeys(stringValue: required)!, .init(codingPath: [], debugDescription: "no value for \"\(required)\""))
        }
        // Every read model keys a case by it: an empty key would be a case no command can name.
        guard !key!.isEmpty else {
            throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.case], debugDescription: "must not be empty"))
        }
        return Summary(case: key!, attempt: attempt!, status: status!, skill: skill)
    }

    /// The canonical bytes, written directly: ingest writes one of these per case attempt, and
    /// going through `JSONEncoder` would cost more than the rest of ingest together.
    public var canonicalBytes: [UInt8] {
        var object = CanonicalObjectWriter(capacity: 256 + (message?.utf8.count ?? 0) + (expected?.utf8.count ?? 0)
                                           + (actual?.utf8.count ?? 0) + (output?.utf8.count ?? 0))
        // Keys in canonical (sorted) order.
        object.string("actual", actual)
        object.string("actual_sha256", actualSHA256)
        object.integer("attempt", attempt)
        object.string("case", self.case)
        object.integer("duration_ms", durationMS)
        object.string("expected", expected)
        object.string("expected_sha256", expectedSHA256)
        object.string("message", message)
        object.string("output", output)
        object.string("output_sha256", outputSHA256)
        if let properties, !properties.isEmpty {
            // Keys in the order of their UTF-16 code units (RFC 8785 §3.2.3), as the
            // canonicalizer sorts them; a dictionary's keys are distinct. (Writing them in any
            // order and canonicalizing after took a third of the encoding.)
            var map: [UInt8] = [UInt8(ascii: "{")]
            for (index, (name, value)) in properties.sorted(by: { $0.key.utf16.lexicographicallyPrecedes($1.key.utf16) }).enumerated() {
                if index > 0 { map.append(UInt8(ascii: ",")) }
                CanonicalJSON.appendString(name, to: &map)
                map.append(UInt8(ascii: ":"))
                CanonicalJSON.appendString(value, to: &map)
            }
            map.append(UInt8(ascii: "}"))
            object.canonical("properties", map)
        }
        object.string("score", score)
        object.string("skill", skill)
        object.string("status", status.rawValue)
        object.string("threshold", threshold)
        object.string("trace_id", traceID)
        return object.finish()
    }
}

extension ProposedEvent {
    /// A case-outcome event, its payload written canonically by construction (no re-parse).
    ///
    /// - Throws: ``EventError`` when the metadata is invalid or the payload too large.
    public init(stream: StreamName, outcome: CaseOutcomeRecorded, metadata: EventMetadata) throws {
        try self.init(stream: stream, outcome: EncodedCaseOutcome(outcome), metadata: metadata)
    }

    /// The type of every case outcome, checked once (not once an event).
    private static let caseOutcomeType = EventType(LoopEventType.caseOutcomeRecorded)

    /// A case-outcome event from a payload encoded before (on another thread).
    ///
    /// - Throws: ``EventError`` when the metadata is invalid or the payload too large.
    public init(stream: StreamName, outcome: EncodedCaseOutcome, metadata: EventMetadata) throws {
        let payload = outcome.outcome
        try self.init(stream: stream, type: Self.caseOutcomeType,
                      canonicalData: outcome.bytes, metadata: metadata,
                      schemaVersion: LoopEventType.caseOutcomeRecorded.schemaVersion,
                      outcome: CaseOutcomeRecorded.Summary(case: payload.case, attempt: payload.attempt, status: payload.status, skill: payload.skill))
    }
}

/// A ``CaseOutcomeRecorded`` with its canonical bytes, encoded once: an ingest encodes each
/// case's payload on the thread that parses the report, so the thread that writes the ledger
/// (the slower of the two) only appends it. Made only from the payload, so the two agree.
///
/// ```swift
/// let encoded = EncodedCaseOutcome(CaseOutcomeRecorded(case: "pkg.Test::one", attempt: 1, status: .pass))
/// try writer.append(try ProposedEvent(stream: run, outcome: encoded, metadata: metadata))
/// ```
public struct EncodedCaseOutcome: Sendable {
    public let outcome: CaseOutcomeRecorded
    public let bytes: [UInt8]

    public init(_ outcome: CaseOutcomeRecorded) {
        self.outcome = outcome
        bytes = outcome.canonicalBytes
    }
}

extension FailureDetected {
    /// The canonical bytes, written directly, as ``CaseOutcomeRecorded/canonicalBytes`` are: a
    /// run with thousands of new failures writes one of these per failure.
    public var canonicalBytes: [UInt8] {
        var object = CanonicalObjectWriter(capacity: 192 + self.case.utf8.count + (message?.utf8.count ?? 0))
        // Keys in canonical (sorted) order.
        object.string("case", self.case)
        object.string("failure", failure)
        object.string("first_failing_run", firstFailingRun)
        object.string("kind", kind.rawValue)
        object.string("message", message)
        object.bool("passed_before", passedBefore)
        object.string("run_id", runID)
        object.string("skill", skill)
        object.string("status", status.rawValue)
        object.string("suite", suite)
        object.string("trace_id", traceID)
        return object.finish()
    }
}

extension ProposedEvent {
    /// A failure-detected event, its payload written canonically by construction (no encoder,
    /// no re-parse): the loop's own payload, valid as built.
    ///
    /// - Throws: ``EventError`` when the metadata is invalid or the payload too large.
    public init(stream: StreamName, failure: FailureDetected, metadata: EventMetadata, expectedVersion: ExpectedVersion) throws {
        try self.init(stream: stream, type: EventType(LoopEventType.failureDetected),
                      canonicalData: failure.canonicalBytes, metadata: metadata, expectedVersion: expectedVersion,
                      schemaVersion: LoopEventType.failureDetected.schemaVersion)
    }
}

extension CaseOutcomeRecorded {
    /// The fields folds read of a case outcome.
    public struct Summary: Sendable, Equatable {
        public var `case`: String
        public var attempt: Int
        public var status: CaseStatus
        public var skill: String?

        public init(case key: String, attempt: Int, status: CaseStatus, skill: String? = nil) {
            self.case = key
            self.attempt = attempt
            self.status = status
            self.skill = skill
        }
    }

    /// The `case`, `attempt`, `status` and `skill` of a stored (canonical) case-outcome
    /// payload, read without decoding the rest (messages, properties): outcomes are nearly every event in a
    /// ledger, and every fold over the loop reads these fields of each one.
    ///
    /// - Throws: ``EventError`` when the bytes are not such a payload.
    public static func summary(from data: some Collection<UInt8>) throws -> Summary {
        if let summary = data.withContiguousStorageIfAvailable({ StoredOutcomeScanner.summary(of: $0) }), let summary {
            return summary
        }
        return try parsedSummary(from: data)
    }

    /// ``summary(from:)`` by the full parser: any layout, and the errors that name what is wrong.
    static func parsedSummary(from data: some Collection<UInt8>) throws -> Summary {
        var key: String?, status: String?, attempt: Int?, skill: String?
        try CanonicalJSON.withParser(data) { parser in
            try parser.walkObject { parser, name in
                var read = false
                switch name.count {
                case 4 where name.elementsEqual("case".utf8): key = try parser.parseStringValue(); read = key != nil
                case 6 where name.elementsEqual("status".utf8): status = try parser.parseStringValue(); read = status != nil
                case 7 where name.elementsEqual("attempt".utf8): attempt = try parser.parseIntegerValue(); read = attempt != nil
                case 5 where name.elementsEqual("skill".utf8): skill = try parser.parseStringValue(); read = skill != nil
                default: break
                }
                // Anything not read above (or of another type) is skipped: the bytes are stored
                // ones, canonical since they were appended.
                if !read { try parser.skipStoredValue() }
            }
        }
        guard let key, let status, let attempt else {
            throw EventError(.malformedJSON, "a case outcome without \"case\", \"attempt\" or \"status\"")
        }
        return Summary(case: key, attempt: attempt, status: try CaseStatus(parsing: status), skill: skill)
    }
}
