import XCTest
import Foundation
import EventGenerator
@testable import Events

final class CanonicalJSONTests: XCTestCase {
    private func canonical(_ text: String) throws -> String {
        String(decoding: try CanonicalJSON.canonicalize(Array(text.utf8)), as: UTF8.self)
    }

    private func assertRejects(_ bytes: [UInt8], _ code: EventError.Code, _ fragment: String? = nil,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try CanonicalJSON.canonicalize(bytes), file: file, line: line) { error in
            guard let error = error as? EventError else { return XCTFail("not an EventError: \(error)", file: file, line: line) }
            XCTAssertEqual(error.code, code, error.message, file: file, line: line)
            if let fragment { XCTAssertTrue(error.message.contains(fragment), error.message, file: file, line: line) }
            XCTAssertFalse(error.message.contains("\n"), file: file, line: line)
        }
    }

    private func assertRejects(_ text: String, _ code: EventError.Code, _ fragment: String? = nil,
                               file: StaticString = #filePath, line: UInt = #line) {
        assertRejects(Array(text.utf8), code, fragment, file: file, line: line)
    }

    func testSortsKeysAndDropsWhitespace() throws {
        XCTAssertEqual(try canonical(#" { "b" : 1 , "a" : { "d" : [ 1 , 2 ] , "c" : null } } "#),
                       #"{"a":{"c":null,"d":[1,2]},"b":1}"#)
        XCTAssertEqual(try canonical(#"{"a":true,"b":false,"c":[],"d":{}}"#), #"{"a":true,"b":false,"c":[],"d":{}}"#)
    }

    /// RFC 8785 §3.2.3: keys sort by UTF-16 code units, so U+1F600 (a surrogate pair) sorts
    /// before U+FB33 even though its code point is larger.
    func testSortsKeysByUTF16CodeUnitsAsRFC8785Example() throws {
        let input = #"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#
        let values = try CanonicalJSON.canonicalize(Array(input.utf8))
        var order: [String] = []
        try CanonicalJSON.forEachMember(of: values) { _, value in order.append(try CanonicalJSON.decodeString(value)!) }
        XCTAssertEqual(order, ["Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis",
                               "Euro Sign", "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh"])
    }

    func testEscapesStringsMinimally() throws {
        XCTAssertEqual(try canonical(#"["\u00e9\/\"\\\b\f\n\r\t\u001F\u0000","€😀"]"#),
                       "[\"é/\\\"\\\\\\b\\f\\n\\r\\t\\u001f\\u0000\",\"€😀\"]")
        XCTAssertEqual(try canonical(#""\ud83d\ude00""#), "\"😀\"")
    }

    /// Contiguous bytes are copied a run at a time, anything else a byte at a time: both write
    /// every byte alike, escaped or not, wherever it falls in the string.
    func testBothStringPathsEscapeAlike() {
        for byte in UInt8(0)..<0x80 {
            for bytes in [[byte], [UInt8(ascii: "a"), byte], [byte, UInt8(ascii: "b"), byte, byte]] {
                var contiguous: [UInt8] = [], byteAtATime: [UInt8] = []
                CanonicalJSON.appendString(utf8: bytes, to: &contiguous)
                CanonicalJSON.appendString(utf8: bytes.lazy.map { $0 }, to: &byteAtATime)
                XCTAssertEqual(contiguous, byteAtATime, "byte \(byte)")
                let decoded = try? JSONDecoder().decode(String.self, from: Data(contiguous))
                XCTAssertEqual(decoded.map { Array($0.utf8) }, bytes, "byte \(byte)")
            }
        }
    }

    /// Eight bytes are passed at once only when none needs an escape: checked against the
    /// byte-at-a-time rule on random words, then on strings with one byte to escape at each
    /// offset, past the first word and beside bytes of 0x80 and more.
    func testTheWordTestFindsEveryByteToEscape() {
        var generator = SystemRandomNumberGenerator()
        func escaped(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x22 || byte == 0x5C }
        for _ in 0..<20_000 {
            let bytes = (0..<8).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
            XCTAssertEqual(CanonicalJSON.needsEscape(word), bytes.contains(where: escaped), "\(bytes)")
        }
        for special: UInt8 in [0x00, 0x01, 0x1F, 0x22, 0x5C] {
            for offset in 0..<24 {
                var bytes = Array("abcdefgh\u{E9}ijklmnop\u{1F600}qrst".utf8)
                bytes.insert(special, at: offset)
                var contiguous: [UInt8] = [], byteAtATime: [UInt8] = []
                CanonicalJSON.appendString(utf8: bytes, to: &contiguous)
                CanonicalJSON.appendString(utf8: bytes.lazy.map { $0 }, to: &byteAtATime)
                XCTAssertEqual(contiguous, byteAtATime, "byte \(special) at \(offset)")
            }
        }
    }

    func testIntegersAreWrittenAsSwiftPrintsThem() {
        for value in [0, 7, -7, 10, -12, 100, 1_000_001, Int.max, Int.min, Int.min + 1] {
            var out: [UInt8] = [UInt8(ascii: "x")]
            CanonicalJSON.appendInteger(value, to: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), "x\(value)")
        }
    }

    func testIntegersOnly() throws {
        XCTAssertEqual(try canonical("[0,-0,7,-12,9007199254740991,-9007199254740991]"), "[0,0,7,-12,9007199254740991,-9007199254740991]")
        assertRejects("1.5", .unsupportedNumber, "as strings")
        assertRejects("1e3", .unsupportedNumber)
        assertRejects("9007199254740992", .unsupportedNumber, "2^53")
        assertRejects("123456789012345678901234567890", .unsupportedNumber)
        assertRejects("01", .malformedJSON, "leading zero")
        assertRejects("-", .malformedJSON)
        assertRejects("+1", .malformedJSON)
    }

    func testRefusesMalformedJSON() {
        assertRejects("", .malformedJSON, "end of input")
        assertRejects("{", .malformedJSON)
        assertRejects(#"{"a" 1}"#, .malformedJSON, "':'")
        assertRejects(#"{"a":1,}"#, .malformedJSON)
        assertRejects(#"{a:1}"#, .malformedJSON, "string key")
        assertRejects("[1 2]", .malformedJSON)
        assertRejects(#"{"a":1} x"#, .malformedJSON, "end of the document")
        assertRejects("tru", .malformedJSON)
        assertRejects(#""abc"#, .malformedJSON, "unterminated")
        assertRejects("\"a\tb\"", .malformedJSON, "control character")
        assertRejects(#""\x""#, .malformedJSON, "invalid escape")
        assertRejects(#"{"a":1,"a":2}"#, .malformedJSON, "duplicate key \"a\"")
        assertRejects(#"{"b":1,"a":2,"b":3}"#, .malformedJSON, "duplicate key")
        assertRejects(String(repeating: "[", count: 65) + String(repeating: "]", count: 65), .malformedJSON, "nesting")
        XCTAssertNoThrow(try CanonicalJSON.canonicalize(Array((String(repeating: "[", count: 64) + String(repeating: "]", count: 64)).utf8)))
    }

    func testRefusesInvalidUTF8() {
        assertRejects([0x22, 0xFF, 0x22], .invalidUTF8)
        assertRejects([0x22, 0xC0, 0x80, 0x22], .invalidUTF8)            // overlong NUL
        assertRejects([0x22, 0xED, 0xA0, 0x80, 0x22], .invalidUTF8)      // encoded surrogate
        assertRejects([0x22, 0xE2, 0x82, 0x22], .invalidUTF8)            // truncated sequence
        assertRejects([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], .invalidUTF8) // beyond U+10FFFF
        assertRejects(#""\ud83d""#, .invalidUTF8, "surrogate")
        assertRejects(#""\ude00""#, .invalidUTF8, "surrogate")
    }

    func testPayloadMustBeAnObject() {
        for (text, kind) in [("[1]", "an array"), ("\"x\"", "a string"), ("3", "a number"), ("null", "null"), ("true", "a boolean")] {
            XCTAssertThrowsError(try CanonicalJSON.canonicalizeObject(Array(text.utf8))) { error in
                XCTAssertEqual((error as? EventError)?.code, .notAnObject)
                XCTAssertTrue((error as? EventError)?.message.contains(kind) ?? false, "\(error)")
            }
        }
    }

    /// Canonicalizing canonical JSON changes nothing, and reordering members of the input does
    /// not change the output: checked over many generated documents.
    func testCanonicalFormIsStableOverGeneratedDocuments() throws {
        var random = SplitMix64(seed: 42)
        for _ in 0..<500 {
            let value = GeneratedJSON.value(depth: 0, random: &random)
            let once = try CanonicalJSON.canonicalize(Array(value.render(shuffled: false, random: &random).utf8))
            let shuffled = try CanonicalJSON.canonicalize(Array(value.render(shuffled: true, random: &random).utf8))
            XCTAssertEqual(once, shuffled)
            XCTAssertEqual(try CanonicalJSON.canonicalize(once), once)
        }
    }

    func testPrettyPrinting() {
        XCTAssertEqual(CanonicalJSON.prettyPrinted(Array(#"{"a":[1,{}],"b":"x,{y}"}"#.utf8)),
                       "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": \"x,{y}\"\n}")
    }
}

/// Random JSON documents with escapes, non-ASCII keys and nesting.
indirect enum GeneratedJSON {
    case integer(Int), string(String), literal(String), array([GeneratedJSON]), object([(String, GeneratedJSON)])

    static let alphabet: [String] = ["a", "b", "Z", "0", "é", "€", "😀", "\u{FB33}", "\\", "\"", "\n", "\u{1}", "/", " "]

    static func string(random: inout SplitMix64) -> String {
        (0..<Int.random(in: 0...6, using: &random)).map { _ in alphabet.randomElement(using: &random)! }.joined()
    }

    static func value(depth: Int, random: inout SplitMix64) -> GeneratedJSON {
        switch Int.random(in: 0..<(depth > 3 ? 3 : 5), using: &random) {
        case 0: return .integer(Int.random(in: -9_007_199_254_740_991...9_007_199_254_740_991, using: &random))
        case 1: return .string(string(random: &random))
        case 2: return .literal(["true", "false", "null"].randomElement(using: &random)!)
        case 3: return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in value(depth: depth + 1, random: &random) })
        default:
            var keys = Set<String>()
            for _ in 0..<Int.random(in: 0...5, using: &random) { keys.insert(string(random: &random)) }
            return .object(keys.sorted().map { ($0, value(depth: depth + 1, random: &random)) })
        }
    }

    func render(shuffled: Bool, random: inout SplitMix64) -> String {
        switch self {
        case .integer(let n): return String(n)
        case .literal(let text): return text
        case .string(let text): return Self.quote(text)
        case .array(let items): return "[ " + items.map { $0.render(shuffled: shuffled, random: &random) }.joined(separator: " , ") + " ]"
        case .object(var members):
            if shuffled { members.shuffle(using: &random) }
            return "{\n" + members.map { Self.quote($0.0) + " : " + $0.1.render(shuffled: shuffled, random: &random) }.joined(separator: ",\n") + "}"
        }
    }

    /// Escapes with \u for everything non-ASCII, so parsing exercises the escape paths too.
    static func quote(_ text: String) -> String {
        var out = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x20..<0x7F: out += String(UnicodeScalar(UInt8(unit)))
            default:
                let hex = String(unit, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        return out + "\""
    }
}
