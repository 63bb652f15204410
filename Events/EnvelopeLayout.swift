#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks stored envelope bytes against the columns stored beside them, without decoding.
///
/// `remedy verify` runs this on every event after the leaf hash matched, so it must not
/// allocate per event: it walks the canonical layout (`{"data":...,"id":...,"metadata":...,
/// "position":...}`) with a byte scanner, compares the header fields byte for byte, and skips
/// the payload and metadata without parsing them (the hash already vouches for their bytes).
public struct EnvelopeLayoutChecker {
    private var expected: [UInt8] = []

    private static let idKey = Array(#","id":"#.utf8)
    private static let metadataKey = Array(#","metadata":"#.utf8)
    private static let positionKey = Array(#","position":"#.utf8)
    private static let recordedAtKey = Array(#","recorded_at":"#.utf8)
    private static let schemaVersionKey = Array(#","schema_version":"#.utf8)
    private static let streamKey = Array(#","stream":"#.utf8)
    private static let streamVersionKey = Array(#","stream_version":"#.utf8)
    private static let typeKey = Array(#","type":"#.utf8)

    public init() {
        expected.reserveCapacity(512)
    }

    /// True when `body` is an envelope naming exactly these header values.
    public mutating func matches(
        _ body: UnsafeRawBufferPointer, id: UnsafeRawBufferPointer, position: Int, recordedAt: UnsafeRawBufferPointer,
        stream: UnsafeRawBufferPointer, streamVersion: Int, type: UnsafeRawBufferPointer
    ) -> Bool {
        let bytes = body.bindMemory(to: UInt8.self)
        var index = 0
        func literal(_ text: StaticString) -> Bool { Self.literal(text, in: bytes, at: &index) }
        func same(_ want: [UInt8]) -> Bool {
            guard index + want.count <= bytes.count else { return false }
            let equal = want.withUnsafeBufferPointer { memcmp(bytes.baseAddress! + index, $0.baseAddress!, want.count) == 0 }
            index += want.count
            return equal
        }

        guard bytes.count > 2, literal(#"{"data":"#), Self.skipValue(bytes, &index) else { return false }
        expected.removeAll(keepingCapacity: true)
        expected.append(contentsOf: Self.idKey)
        CanonicalJSON.appendString(utf8: id.bindMemory(to: UInt8.self), to: &expected)
        expected.append(contentsOf: Self.metadataKey)
        guard same(expected), Self.skipValue(bytes, &index) else { return false }

        expected.removeAll(keepingCapacity: true)
        expected.append(contentsOf: Self.positionKey)
        CanonicalJSON.appendInteger(position, to: &expected)
        expected.append(contentsOf: Self.recordedAtKey)
        CanonicalJSON.appendString(utf8: recordedAt.bindMemory(to: UInt8.self), to: &expected)
        expected.append(contentsOf: Self.schemaVersionKey)
        guard same(expected) else { return false }
        let digitsStart = index
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
        guard index > digitsStart, bytes[digitsStart] != UInt8(ascii: "0") else { return false }

        expected.removeAll(keepingCapacity: true)
        expected.append(contentsOf: Self.streamKey)
        CanonicalJSON.appendString(utf8: stream.bindMemory(to: UInt8.self), to: &expected)
        expected.append(contentsOf: Self.streamVersionKey)
        CanonicalJSON.appendInteger(streamVersion, to: &expected)
        expected.append(contentsOf: Self.typeKey)
        CanonicalJSON.appendString(utf8: type.bindMemory(to: UInt8.self), to: &expected)
        expected.append(UInt8(ascii: "}"))
        return same(expected) && index == bytes.count
    }

    /// Whether `text` is at `index` in `bytes`; if so, moves `index` past it.
    static func literal(_ text: StaticString, in bytes: UnsafeBufferPointer<UInt8>, at index: inout Int) -> Bool {
        text.withUTF8Buffer { want in
            guard index + want.count <= bytes.count,
                  memcmp(bytes.baseAddress! + index, want.baseAddress!, want.count) == 0 else { return false }
            index += want.count
            return true
        }
    }

    /// Skips one JSON value whose bytes are trusted to be well-formed (strings and nesting
    /// tracked, nothing validated). Returns false if the input ends first.
    ///
    /// Strings, most of a payload's bytes, are crossed with `memchr` to the next quote (a
    /// quote preceded by an odd number of backslashes is escaped and skipped), not byte by byte.
    static func skipValue(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> Bool {
        var depth = 0
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                guard skipStringBody(bytes, &index) else { return false }
                if depth == 0 { return true }
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return true }
                if depth < 0 { return false }
            case UInt8(ascii: ","):
                if depth == 0 { index -= 1; return true }
            default:
                if depth == 0, index < bytes.count, bytes[index] == UInt8(ascii: ",") || bytes[index] == UInt8(ascii: "}") { return true }
            }
        }
        return false
    }

    /// Moves `index` (just after an opening quote) past the string's closing quote.
    private static func skipStringBody(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> Bool {
        let base = bytes.baseAddress!
        while index < bytes.count {
            guard let found = memchr(base + index, Int32(UInt8(ascii: "\"")), bytes.count - index) else { return false }
            let quote = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            var backslashes = 0
            while quote - backslashes - 1 >= index, bytes[quote - backslashes - 1] == UInt8(ascii: "\\") { backslashes += 1 }
            index = quote + 1
            if backslashes % 2 == 0 { return true }
        }
        return false
    }
}

extension EventEnvelope {
    /// The payload's bytes inside a stored envelope, found without parsing anything else.
    ///
    /// The canonical envelope starts with `{"data":`, so the payload is the first value; this
    /// is how folds read payloads at the speed of a byte scan. The stored bytes are trusted
    /// (they are the ledger's own, and `remedy verify` checks them).
    public static func payloadBytes(of body: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let bytes = body.bindMemory(to: UInt8.self)
        var index = 0
        guard bytes.count > 8, EnvelopeLayoutChecker.literal(#"{"data":"#, in: bytes, at: &index) else { return nil }
        let start = index
        guard EnvelopeLayoutChecker.skipValue(bytes, &index) else { return nil }
        return UnsafeRawBufferPointer(rebasing: body[start..<index])
    }
}

/// The header fields of a stored envelope, read in one pass over its bytes without decoding:
/// what a bundle verifier checks of every line at the speed of a byte scan.
///
/// The canonical envelope's keys are in a fixed order (`data`, `id`, `metadata`, `position`,
/// `recorded_at`, `schema_version`, `stream`, `stream_version`, `type`); a line that does not
/// have exactly that layout gives nil, and the caller then finds out why with the full parser.
/// The ranges are offsets of the string values' bytes (without quotes) in the line.
public struct StoredEnvelopeHeader: Equatable {
    public var position: Int
    public var schemaVersion: Int
    public var streamVersion: Int
    public var data: Range<Int>
    public var id: Range<Int>
    public var recordedAt: Range<Int>
    public var stream: Range<Int>
    public var type: Range<Int>

    /// The string at `range` (one of this header's) of `line`, its escapes decoded: a stream
    /// name may hold a quote or a backslash, which the envelope stores escaped.
    public func text(_ range: Range<Int>, in line: UnsafeRawBufferPointer) -> String {
        let raw = UnsafeRawBufferPointer(rebasing: line[range])
        guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
        let quoted = [UInt8(ascii: "\"")] + Array(raw) + [UInt8(ascii: "\"")]
        return (try? CanonicalJSON.withParser(quoted) { try $0.parseStringValue() }).flatMap { $0 } ?? String(decoding: raw, as: UTF8.self)
    }

    /// Reads the header of `line` (an envelope's bytes, without a newline), or nil.
    public init?(_ line: UnsafeRawBufferPointer) {
        let bytes = line.bindMemory(to: UInt8.self)
        var index = 0
        func literal(_ text: StaticString) -> Bool { EnvelopeLayoutChecker.literal(text, in: bytes, at: &index) }
        /// A string's contents up to its closing quote (escapes skipped, not decoded).
        func string() -> Range<Int>? {
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\\") { index += 2; continue }
                if byte == UInt8(ascii: "\"") { index += 1; return start..<(index - 1) }
                if byte < 0x20 { return nil }
                index += 1
            }
            return nil
        }
        func integer() -> Int? {
            let start = index
            var value = 0
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9"), index - start < 16 {
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
            }
            guard index > start, bytes[start] != UInt8(ascii: "0") || index == start + 1 else { return nil }
            return value
        }
        guard bytes.count > 2, literal(#"{"data":"#) else { return nil }
        let dataStart = index
        guard bytes.count > index, bytes[index] == UInt8(ascii: "{"), EnvelopeLayoutChecker.skipValue(bytes, &index) else { return nil }
        data = dataStart..<index
        guard literal(#","id":""#), let id = string(), literal(#","metadata":"#),
              bytes.count > index, bytes[index] == UInt8(ascii: "{"), EnvelopeLayoutChecker.skipValue(bytes, &index),
              literal(#","position":"#), let position = integer(),
              literal(#","recorded_at":""#), let recordedAt = string(),
              literal(#","schema_version":"#), let schemaVersion = integer(),
              literal(#","stream":""#), let stream = string(),
              literal(#","stream_version":"#), let streamVersion = integer(),
              literal(#","type":""#), let type = string(), literal("}"), index == bytes.count else { return nil }
        self.id = id
        self.position = position
        self.recordedAt = recordedAt
        self.schemaVersion = schemaVersion
        self.stream = stream
        self.streamVersion = streamVersion
        self.type = type
    }
}
