/// The ledger's canonical JSON: the one byte form in which every event is stored, hashed and
/// exported.
///
/// It follows RFC 8785 (JSON Canonicalization Scheme) for the values the ledger accepts:
/// object keys sorted by their UTF-16 code units, no insignificant whitespace, UTF-8 output,
/// strings escaped minimally (`\"`, `\\`, `\b \f \n \r \t`, other control characters as
/// `\u00xx`; everything else literal, `/` included).
///
/// Numbers are the one place the ledger is stricter than RFC 8785: only integers in the
/// interoperable range ±(2^53-1) are accepted, written without sign on zero, leading zeros,
/// fraction or exponent. A decimal such as a score or confidence is carried as a string
/// (`"0.85"`), so that no reader's floating-point formatting can ever change a stored byte.
/// Duplicate keys, lone surrogates and invalid UTF-8 are refused rather than repaired.
///
/// Canonicalization is a single pass over the input bytes (members of an object are written
/// as they are parsed and reordered in place only when they arrive unsorted); it never builds
/// a tree of values. See <https://www.rfc-editor.org/rfc/rfc8785>.
///
/// ```swift
/// let bytes = try CanonicalJSON.canonicalizeObject(Array(#"{ "b": 1, "a": "x" }"#.utf8))
/// // {"a":"x","b":1}
/// ```
public enum CanonicalJSON {
    /// The deepest nesting of arrays and objects accepted, to bound stack use on hostile input.
    public static let maximumDepth = 64

    /// Canonicalizes one JSON document that must be an object.
    ///
    /// - Throws: ``EventError`` with code `.malformedJSON`, `.invalidUTF8`, `.unsupportedNumber`
    ///   or `.notAnObject`; its message names the byte offset of the problem.
    public static func canonicalizeObject(_ input: some Collection<UInt8>) throws -> [UInt8] {
        let bytes = input.withContiguousStorageIfAvailable { canonicalize($0, requireObject: true) }
            ?? Array(input).withUnsafeBufferPointer { canonicalize($0, requireObject: true) }
        return try bytes.get()
    }

    /// Canonicalizes one JSON document of any kind (object, array, string, integer, literal).
    ///
    /// - Throws: ``EventError`` as ``canonicalizeObject(_:)`` does, except `.notAnObject`.
    public static func canonicalize(_ input: some Collection<UInt8>) throws -> [UInt8] {
        let bytes = input.withContiguousStorageIfAvailable { canonicalize($0, requireObject: false) }
            ?? Array(input).withUnsafeBufferPointer { canonicalize($0, requireObject: false) }
        return try bytes.get()
    }

    private static func canonicalize(
        _ buffer: UnsafeBufferPointer<UInt8>, requireObject: Bool
    ) -> Result<[UInt8], EventError> {
        Result {
            var parser = CanonicalJSONParser(buffer)
            var out: [UInt8] = []
            out.reserveCapacity(buffer.count)
            try parser.parseValue(into: &out)
            try parser.expectEnd()
            if requireObject, let first = out.first, first != UInt8(ascii: "{") {
                throw EventError(.notAnObject, "the payload must be a JSON object, not \(describeValueStart(first))")
            }
            return out
        }.mapError { $0 as! EventError }
    }

    /// Names the kind of JSON value that starts with `byte`, for error messages.
    static func describeValueStart(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "\""): return "a string"
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return "a boolean"
        case UInt8(ascii: "n"): return "null"
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return "a number"
        default: return "'\(Character(Unicode.Scalar(byte)))'"
        }
    }

    /// Appends `string` to `out` as a canonical JSON string, quotes included.
    public static func appendString(_ string: String, to out: inout [UInt8]) {
        var string = string
        string.withUTF8 { appendString(utf8: $0, to: &out) }
    }

    /// Appends already-valid UTF-8 bytes to `out` as a canonical JSON string, quotes included.
    ///
    /// Runs of bytes that need no escape are copied whole: a byte at a time, appending was
    /// the most costly step of encoding a test's output into its event.
    static func appendString(utf8: some Collection<UInt8>, to out: inout [UInt8]) {
        let copied: Void? = utf8.withContiguousStorageIfAvailable { bytes in
            out.append(UInt8(ascii: "\""))
            var runStart = 0, index = 0
            let raw = UnsafeRawPointer(bytes.baseAddress)
            while index < bytes.count {
                // Eight bytes at once when none needs an escape (most text).
                if let raw, bytes.count - index >= 8, !needsEscape(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
                    index += 8
                    continue
                }
                let byte = bytes[index]
                index += 1
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<(index - 1)]))
                appendEscaped(byte, to: &out)
                runStart = index
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
            out.append(UInt8(ascii: "\""))
        }
        // Bytes without contiguous storage (no caller has them) are gathered first.
        if copied == nil { appendString(utf8: Array(utf8), to: &out) }
    }

    /// Whether any of eight bytes is a control character, a quote or a backslash (bytes of
    /// 0x80 and more never are): the classic "has a zero byte" test on the word, on the word
    /// less 0x20 in each byte, and on the word XORed with each of the two characters.
    @inline(__always)
    static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ value: UInt64) -> Bool { (value &- ones) & ~value & highs != 0 }
        let control = (word &- 0x2020_2020_2020_2020) & ~word & highs != 0
        return control || hasZero(word ^ (ones &* 0x22)) || hasZero(word ^ (ones &* 0x5C))
    }

    /// Appends the escape of a byte JSON strings cannot hold as it is: a quote, a backslash or
    /// a control character (the short forms where JSON has them, else `\u00XX`).
    private static func appendEscaped(_ byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case 0x08: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "b"))
        case 0x09: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "t"))
        case 0x0A: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "n"))
        case 0x0C: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "f"))
        case 0x0D: out.append(UInt8(ascii: "\\")); out.append(UInt8(ascii: "r"))
        case 0x00..<0x20:
            out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            out.append(hexDigit(byte >> 4))
            out.append(hexDigit(byte & 0x0F))
        default:
            out.append(UInt8(ascii: "\\")); out.append(byte)
        }
    }

    /// Appends a canonical integer.
    public static func appendInteger(_ value: Int, to out: inout [UInt8]) {
        if value == 0 { out.append(UInt8(ascii: "0")); return }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        // The digits go in last first, then are turned around in place (no array of their own:
        // three integers an event appended).
        let start = out.count
        var magnitude = value.magnitude
        while magnitude > 0 {
            out.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        }
        out[start...].reverse()
    }

    /// A lowercase hex digit for a nibble.
    public static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
