/// A single-pass JSON reader that writes the canonical form of what it reads.
///
/// It never builds a tree: scalars are copied to the output as they are checked, and an
/// object's members are written in arrival order and reordered in place only if they were not
/// already sorted. Member bookkeeping lives on two stacks shared by all nesting levels, so a
/// document costs no allocation per object. Errors name the byte offset.
struct CanonicalJSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var index: Int = 0
    private var depth = 0

    /// Members of the objects being parsed, innermost last: where each member starts in the
    /// output, where its key's decoded bytes are in `keys`, and where it ends.
    private var members: [(start: Int, end: Int, keyStart: Int, keyEnd: Int)] = []
    /// Decoded (unescaped) keys of the members on `members`.
    private var keys: [UInt8] = []
    /// Scratch for one decoded string value.
    private var scratch: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    // MARK: - Tokens

    func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    func failure(_ what: String) -> EventError {
        failure(.malformedJSON, what)
    }

    func failure(_ code: EventError.Code, _ what: String) -> EventError {
        EventError(code, "malformed JSON at byte \(index): \(what)")
    }

    func unexpected(_ expectation: String) -> EventError {
        guard let byte = peek() else { return failure("unexpected end of input, \(expectation)") }
        let shown = byte >= 0x20 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
        return failure("unexpected \(shown), \(expectation)")
    }

    /// Consumes `byte` (after whitespace) or throws naming what was expected.
    mutating func expect(_ byte: UInt8, _ expectation: String) throws {
        skipWhitespace()
        guard peek() == byte else { throw unexpected(expectation) }
        index += 1
    }

    /// Requires that only whitespace remains.
    mutating func expectEnd() throws {
        skipWhitespace()
        if index < bytes.count { throw unexpected("expected the end of the document") }
    }

    // MARK: - Objects member by member

    /// Walks the members of an object, letting `body` parse each value; `body` gets this
    /// parser and the member's decoded key, and must consume exactly one value.
    ///
    /// This is how structured documents (batch lines, envelopes) are read without building an
    /// intermediate object: each field is parsed straight into what it becomes.
    mutating func walkObject(_ body: (inout CanonicalJSONParser, _ key: [UInt8]) throws -> Void) throws {
        skipWhitespace()
        if let first = peek(), first != UInt8(ascii: "{") {
            throw EventError(.notAnObject, "expected a JSON object, not \(CanonicalJSON.describeValueStart(first))")
        }
        try expect(UInt8(ascii: "{"), "expected a JSON object")
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { index += 1; return }
        var key = [UInt8]()
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw unexpected("expected a string key") }
            key.removeAll(keepingCapacity: true)
            try parseString(decodedInto: &key)
            try expect(UInt8(ascii: ":"), "expected ':' after an object key")
            skipWhitespace()
            try body(&self, key)
            skipWhitespace()
            if peek() == UInt8(ascii: ",") { index += 1; continue }
            if peek() == UInt8(ascii: "}") { index += 1; return }
            throw unexpected("expected ',' or '}' in an object")
        }
    }

    /// Walks the elements of an array, letting `body` parse each one.
    mutating func walkArray(_ body: (inout CanonicalJSONParser) throws -> Void) throws {
        try expect(UInt8(ascii: "["), "expected a JSON array")
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { index += 1; return }
        while true {
            try body(&self)
            skipWhitespace()
            if peek() == UInt8(ascii: ",") { index += 1; continue }
            if peek() == UInt8(ascii: "]") { index += 1; return }
            throw unexpected("expected ',' or ']' in an array")
        }
    }

    /// Skips one value of a document stored in canonical form (a payload read back from the
    /// ledger, checked when it was appended): strings and nesting are tracked, nothing decoded.
    mutating func skipStoredValue() throws {
        guard EnvelopeLayoutChecker.skipValue(bytes, &index) else { throw unexpected("expected a value") }
    }

    /// Parses a string value and returns it, or nil (consuming nothing) if the next value is
    /// not a string.
    mutating func parseStringValue() throws -> String? {
        skipWhitespace()
        guard peek() == UInt8(ascii: "\"") else { return nil }
        var decoded = [UInt8]()
        swap(&decoded, &scratch)
        defer { swap(&decoded, &scratch) }
        decoded.removeAll(keepingCapacity: true)
        try parseString(decodedInto: &decoded)
        return String(decoding: decoded, as: UTF8.self)
    }

    /// Parses an integer value and returns it, or nil (consuming nothing) if the next value
    /// is not a number.
    mutating func parseIntegerValue() throws -> Int? {
        skipWhitespace()
        guard let first = peek(), first == UInt8(ascii: "-") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return nil }
        var ignored = [UInt8]()
        return try parseInteger(into: &ignored)
    }

    /// The bytes from `start` to the current index (for values kept exactly as written).
    func bytes(from start: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[start..<index])
    }

    // MARK: - Values

    /// Parses one value and appends its canonical form to `out`.
    mutating func parseValue(into out: inout [UInt8]) throws {
        skipWhitespace()
        guard let byte = peek() else { throw unexpected("expected a value") }
        switch byte {
        case UInt8(ascii: "{"): try parseObject(into: &out)
        case UInt8(ascii: "["): try parseArray(into: &out)
        case UInt8(ascii: "\""):
            // Borrow the scratch buffer: `parseString` mutates self too.
            var decoded = [UInt8]()
            swap(&decoded, &scratch)
            defer { swap(&decoded, &scratch) }
            decoded.removeAll(keepingCapacity: true)
            try parseString(decodedInto: &decoded)
            CanonicalJSON.appendString(utf8: decoded, to: &out)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try parseInteger(into: &out)
        case UInt8(ascii: "t"): try parseLiteral("true", into: &out)
        case UInt8(ascii: "f"): try parseLiteral("false", into: &out)
        case UInt8(ascii: "n"): try parseLiteral("null", into: &out)
        default: throw unexpected("expected a value")
        }
    }

    private mutating func enter() throws {
        depth += 1
        if depth > CanonicalJSON.maximumDepth {
            throw failure("nesting deeper than \(CanonicalJSON.maximumDepth) levels")
        }
    }

    private mutating func parseArray(into out: inout [UInt8]) throws {
        try enter()
        index += 1
        out.append(UInt8(ascii: "["))
        skipWhitespace()
        if peek() == UInt8(ascii: "]") {
            index += 1
        } else {
            while true {
                try parseValue(into: &out)
                skipWhitespace()
                if peek() == UInt8(ascii: ",") { index += 1; out.append(UInt8(ascii: ",")); continue }
                if peek() == UInt8(ascii: "]") { index += 1; break }
                throw unexpected("expected ',' or ']' in an array")
            }
        }
        out.append(UInt8(ascii: "]"))
        depth -= 1
    }

    private mutating func parseObject(into out: inout [UInt8]) throws {
        try enter()
        index += 1
        let objectStart = out.count
        out.append(UInt8(ascii: "{"))
        let firstMember = members.count
        let keysBase = keys.count
        skipWhitespace()
        if peek() == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw unexpected("expected a string key") }
                let memberStart = out.count
                var keyBytes = [UInt8]()
                swap(&keyBytes, &keys)
                let keyStart = keyBytes.count
                do {
                    defer { swap(&keyBytes, &keys) }
                    try parseString(decodedInto: &keyBytes)
                }
                let keyEnd = keys.count
                CanonicalJSON.appendString(utf8: keys[keyStart..<keyEnd], to: &out)
                try expect(UInt8(ascii: ":"), "expected ':' after an object key")
                out.append(UInt8(ascii: ":"))
                try parseValue(into: &out)
                members.append((memberStart, out.count, keyStart, keyEnd))
                skipWhitespace()
                if peek() == UInt8(ascii: ",") { index += 1; out.append(UInt8(ascii: ",")); continue }
                if peek() == UInt8(ascii: "}") { index += 1; break }
                throw unexpected("expected ',' or '}' in an object")
            }
            try sortMembers(from: firstMember, objectStart: objectStart, out: &out)
        }
        out.append(UInt8(ascii: "}"))
        members.removeSubrange(firstMember...)
        keys.removeSubrange(keysBase...)
        depth -= 1
    }

    /// Reorders the members `members[first...]` in `out` by key, and refuses duplicate keys.
    private mutating func sortMembers(from first: Int, objectStart: Int, out: inout [UInt8]) throws {
        var sorted = true
        for i in (first + 1)..<max(first + 1, members.count) {
            let order = compareKeys(members[i - 1], members[i])
            if order == 0 { throw duplicateKey(members[i]) }
            if order > 0 { sorted = false }
        }
        if sorted { return }
        var order = Array(first..<members.count)
        order.sort { compareKeys(members[$0], members[$1]) < 0 }
        for i in 1..<order.count where compareKeys(members[order[i - 1]], members[order[i]]) == 0 {
            throw duplicateKey(members[order[i]])
        }
        let region = Array(out[(objectStart + 1)...])
        out.removeSubrange((objectStart + 1)...)
        for (n, m) in order.enumerated() {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            let member = members[m]
            out.append(contentsOf: region[(member.start - objectStart - 1)..<(member.end - objectStart - 1)])
        }
    }

    private func duplicateKey(_ member: (start: Int, end: Int, keyStart: Int, keyEnd: Int)) -> EventError {
        let key = String(decoding: keys[member.keyStart..<member.keyEnd], as: UTF8.self)
        return EventError.duplicateKey(key)
    }

    /// Orders keys by UTF-16 code units, as RFC 8785 §3.2.3 requires.
    private func compareKeys(
        _ a: (start: Int, end: Int, keyStart: Int, keyEnd: Int),
        _ b: (start: Int, end: Int, keyStart: Int, keyEnd: Int)
    ) -> Int {
        let lhs = keys[a.keyStart..<a.keyEnd]
        let rhs = keys[b.keyStart..<b.keyEnd]
        // UTF-8 byte order equals code point order, which equals UTF-16 order except where a
        // supplementary character (lead byte 0xF0...) meets one in U+E000...U+FFFF (0xEE, 0xEF).
        var i = lhs.startIndex, j = rhs.startIndex
        while i < lhs.endIndex, j < rhs.endIndex {
            let x = lhs[i], y = rhs[j]
            if x != y {
                if x >= 0xEE, y >= 0xEE {
                    let u = Array(String(decoding: lhs, as: UTF8.self).utf16)
                    let v = Array(String(decoding: rhs, as: UTF8.self).utf16)
                    return u.lexicographicallyPrecedes(v) ? -1 : (u == v ? 0 : 1)
                }
                return x < y ? -1 : 1
            }
            i += 1; j += 1
        }
        return lhs.count == rhs.count ? 0 : (lhs.count < rhs.count ? -1 : 1)
    }

    // MARK: - Scalars

    /// Parses a string token and appends its decoded UTF-8 bytes (no quotes) to `decoded`.
    mutating func parseString(decodedInto decoded: inout [UInt8]) throws {
        index += 1 // opening quote
        while true {
            // Copy the run of plain ASCII in one go.
            let runStart = index
            while index < bytes.count {
                let b = bytes[index]
                if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b < 0x20 || b >= 0x80 { break }
                index += 1
            }
            if index > runStart {
                decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            }
            guard index < bytes.count else { throw failure("unterminated string") }
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"):
                try parseEscape(into: &decoded)
            case 0x00..<0x20:
                throw failure("control character 0x\(String(b, radix: 16)) inside a string; escape it")
            default:
                try copyMultibyte(into: &decoded)
            }
        }
    }

    /// Validates and copies one multi-byte UTF-8 sequence (RFC 3629 §4).
    private mutating func copyMultibyte(into decoded: inout [UInt8]) throws {
        let lead = bytes[index]
        let length: Int
        var lower: UInt8 = 0x80, upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F // excludes UTF-16 surrogates
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: throw failure(.invalidUTF8, "invalid UTF-8 byte 0x\(String(lead, radix: 16))")
        }
        guard index + length <= bytes.count else { throw failure(.invalidUTF8, "truncated UTF-8 sequence") }
        let second = bytes[index + 1]
        guard second >= lower, second <= upper else {
            throw failure(.invalidUTF8, "invalid UTF-8 sequence starting 0x\(String(lead, radix: 16))")
        }
        for k in 2..<max(2, length) where bytes[index + k] & 0xC0 != 0x80 {
            throw failure(.invalidUTF8, "invalid UTF-8 sequence starting 0x\(String(lead, radix: 16))")
        }
        decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<(index + length)]))
        index += length
    }

    private mutating func parseEscape(into decoded: inout [UInt8]) throws {
        guard index + 1 < bytes.count else { throw failure("unterminated escape") }
        let e = bytes[index + 1]
        index += 2
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(e)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw failure(.invalidUTF8, "lone UTF-16 surrogate \\u\(String(scalar, radix: 16))")
                }
                index += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw failure(.invalidUTF8, "lone UTF-16 surrogate \\u\(String(scalar, radix: 16))")
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw failure(.invalidUTF8, "lone UTF-16 surrogate \\u\(String(scalar, radix: 16))")
            }
            decoded.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(scalar)!)!)
        default:
            index -= 1
            throw failure("invalid escape '\\\(Character(Unicode.Scalar(e)))'")
        }
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw failure("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: throw failure("invalid hex digit in a \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Parses an integer and appends it; returns its value.
    @discardableResult
    mutating func parseInteger(into out: inout [UInt8]) throws -> Int {
        let start = index
        var negative = false
        if peek() == UInt8(ascii: "-") { negative = true; index += 1 }
        let digitsStart = index
        var magnitude: UInt64 = 0
        var overflow = false
        while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            if magnitude > 9_007_199_254_740_991 { overflow = true } else {
                magnitude = magnitude * 10 + UInt64(bytes[index] - UInt8(ascii: "0"))
            }
            index += 1
        }
        let digitCount = index - digitsStart
        if digitCount == 0 { throw unexpected("expected a digit") }
        if digitCount > 1, bytes[digitsStart] == UInt8(ascii: "0") {
            index = digitsStart
            throw failure("a number may not have a leading zero")
        }
        if let next = peek(), next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            index = start
            throw failure(.unsupportedNumber, "only integers are stored as numbers; write decimals and exponents as strings (e.g. \"0.85\")")
        }
        if overflow || magnitude > 9_007_199_254_740_991 {
            index = start
            throw failure(.unsupportedNumber, "integer beyond ±9007199254740991 (2^53-1); write it as a string")
        }
        if magnitude == 0 {
            out.append(UInt8(ascii: "0"))
            return 0
        }
        if negative { out.append(UInt8(ascii: "-")) }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[digitsStart..<index]))
        return negative ? -Int(magnitude) : Int(magnitude)
    }

    private mutating func parseLiteral(_ literal: StaticString, into out: inout [UInt8]) throws {
        let count = literal.utf8CodeUnitCount
        let matches = index + count <= bytes.count && literal.withUTF8Buffer { expected in
            expected.elementsEqual(UnsafeBufferPointer(rebasing: bytes[index..<(index + count)]))
        }
        guard matches else { throw unexpected("expected a value") }
        literal.withUTF8Buffer { out.append(contentsOf: $0) }
        index += count
    }
}
