/// One thing the XML reader found.
enum XMLToken: Equatable {
    /// A start tag; an empty-element tag (`<a/>`) comes as a start then an end.
    case start(name: String, attributes: [XMLAttribute])
    case end(name: String)
    /// Character data or CDATA, possibly in several pieces; only when ``XMLReader/keepsText``.
    case text(String)
}

struct XMLAttribute: Equatable {
    var name: String
    var value: String
}

/// A streaming, non-validating XML 1.0 reader for test reports: strict, bounded and fast.
///
/// It reads a file in chunks and hands out start tags, end tags and (on request) text, so a
/// report of any size is read in constant memory. It enforces well-formedness as XML 1.0
/// defines it (one root, matching tags, quoted attributes, no `<` or bare `&` in values, only
/// legal characters, valid UTF-8) and stops at the first violation with its line number: a
/// truncated, concatenated or corrupted report is an error, never a partial result.
///
/// It never processes a DTD: a `<!DOCTYPE` is refused, and so is any entity other than the
/// five predefined ones and character references. That closes entity-expansion bombs and
/// external-entity reads (XXE) by construction. UTF-16 (with a BOM) and ISO-8859-1 are
/// transcoded to UTF-8 as declared.
///
/// Why not FoundationXML's `XMLParser`: on Linux it reports success for empty and truncated
/// documents, delivers elements before noticing a later error, and builds objects for every
/// callback; a report ingester needs the opposite on all three counts.
/// See <https://www.w3.org/TR/xml/>.
final class XMLReader {
    /// The largest single tag, comment or processing instruction accepted.
    static let maximumMarkupLength = 4 << 20

    private var source: any ByteSource
    private let name: String
    // The reader's hot state, read on every token: a class property is otherwise checked for
    // overlapping access at run time on each read (a twentieth of reading a report). One
    // thread uses a reader, and no method touches one of these inside an access to itself.
    @exclusivity(unchecked) private var buffer: [UInt8]
    @exclusivity(unchecked) private var position = 0
    @exclusivity(unchecked) private var end = 0
    private var atEndOfInput = false
    /// Newlines in bytes already discarded from the buffer, for line numbers.
    private var discardedLines = 1
    private var openElements: [String] = []
    private var sawRoot = false
    private var pendingEnd: String?
    private var started = false
    /// True until the first byte after an optional BOM is consumed: where a declaration may be.
    private var atDocumentStart = true

    /// Whether text content is returned (else it is checked and skipped).
    var keepsText = false

    /// The deepest the element tree is the reader's to track; deeper is refused.
    static let maximumDepth = 1_000_000

    init(source: any ByteSource, name: String) {
        self.source = source
        self.name = name
        self.buffer = [UInt8](repeating: 0, count: 1 << 18)
    }

    /// The current line, from 1.
    var line: Int {
        discardedLines + buffer.withUnsafeBufferPointer { Self.newlines(in: UnsafeBufferPointer(rebasing: $0[0..<min(position, end)])) }
    }

    /// The newlines in `bytes`, found with `memchr` (every byte read is counted once, for line
    /// numbers: a byte at a time, that was a thirtieth of reading a report).
    static func newlines(in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0, index = 0
        while let found = bytes.firstIndex(of: 0x0A, in: index..<bytes.count) {
            count += 1
            index = found + 1
        }
        return count
    }

    func error(_ message: String) -> IngestError {
        IngestError(.malformed, "\(name): line \(line): \(message)")
    }

    // MARK: - Buffer

    /// Makes at least `count` bytes available from `position`; false at the end of input.
    private func ensure(_ count: Int) throws -> Bool {
        while end - position < count {
            if atEndOfInput { return false }
            try refill()
        }
        return true
    }

    private func refill() throws {
        if position > 0 {
            discardedLines += buffer.withUnsafeBufferPointer { Self.newlines(in: UnsafeBufferPointer(rebasing: $0[0..<position])) }
            let remaining = end - position
            if remaining > 0 {
                buffer.withUnsafeMutableBytes { raw in
                    raw.baseAddress!.copyMemory(from: raw.baseAddress! + position, byteCount: remaining)
                }
            }
            end = remaining
            position = 0
        }
        if buffer.count - end < (1 << 16) {
            guard buffer.count < Self.maximumMarkupLength * 2 else {
                throw error("a single tag or comment longer than \(Self.maximumMarkupLength) bytes")
            }
            buffer.append(contentsOf: repeatElement(0, count: buffer.count))
        }
        let count: Int
        do {
            count = try buffer.withUnsafeMutableBytes { raw in
                try source.read(into: UnsafeMutableRawBufferPointer(rebasing: raw[end...]))
            }
        } catch let failure as IngestError where failure.code == .malformed {
            throw error(failure.message)
        }
        if count == 0 { atEndOfInput = true } else { end += count }
    }

    /// Finds `terminator` at or after `from`, reading more as needed; returns its index.
    private func find(_ terminator: [UInt8], from: Int, what: String) throws -> Int {
        var searchFrom = from
        while true {
            if let index = search(terminator, in: searchFrom..<end) { return index }
            if atEndOfInput { throw error("the document ends inside \(what) (truncated?)") }
            if end - position > Self.maximumMarkupLength { throw error("\(what) longer than \(Self.maximumMarkupLength) bytes") }
            // Resume where a terminator split across the old end could start; offsets are
            // kept relative to `position`, which `refill` may move.
            let resume = max(searchFrom, end - terminator.count + 1) - position
            try refill()
            searchFrom = position + resume
        }
    }

    private func search(_ needle: [UInt8], in range: Range<Int>) -> Int? {
        guard range.count >= needle.count, let first = needle.first else { return nil }
        return buffer.withUnsafeBufferPointer { bytes in
            var i = range.lowerBound
            let last = range.upperBound - needle.count
            while i <= last {
                guard let found = bytes.firstIndex(of: first, in: i..<(last + 1)) else { return nil }
                i = found
                var matched = true
                for k in 1..<needle.count where bytes[i + k] != needle[k] { matched = false; break }
                if matched { return i }
                i += 1
            }
            return nil
        }
    }

    // MARK: - Tokens

    /// The next token, or nil at the end of a well-formed document.
    ///
    /// - Throws: ``IngestError`` naming the line of the first well-formedness violation.
    func next() throws -> XMLToken? {
        if let name = pendingEnd {
            pendingEnd = nil
            return .end(name: name)
        }
        if !started {
            started = true
            try skipByteOrderMark()
        }
        while true {
            guard try ensure(1) else {
                if !openElements.isEmpty { throw error("the document ends inside <\(openElements.last!)> (truncated?)") }
                if !sawRoot {
                    throw IngestError(atDocumentStart ? .notAReport : .malformed, "\(name): \(atDocumentStart ? "the report is empty" : "no root element")")
                }
                return nil
            }
            defer { atDocumentStart = false }
            if buffer[position] == UInt8(ascii: "<") {
                guard try ensure(2) else { throw error("the document ends inside a tag (truncated?)") }
                switch buffer[position + 1] {
                case UInt8(ascii: "?"): try processingInstruction()
                case UInt8(ascii: "!"):
                    if let text = try bang() { if keepsText { return .text(text) } }
                case UInt8(ascii: "/"): return try endTag()
                default: return try startTag()
                }
            } else if openElements.isEmpty {
                let byte = buffer[position]
                guard byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D else {
                    throw error(sawRoot ? "text after the root element (two documents, or junk at the end)" : "text before the root element")
                }
                position += 1
            } else if let text = try characterData(), keepsText {
                return .text(text)
            }
        }
    }

    private func skipByteOrderMark() throws {
        if try ensure(3), buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { position = 3 }
    }

    /// `<?...?>`: the XML declaration (only first) or a processing instruction (skipped).
    private func processingInstruction() throws {
        let close = try find([UInt8(ascii: "?"), UInt8(ascii: ">")], from: position + 2, what: "a processing instruction")
        let body = buffer[(position + 2)..<close]
        let isDeclaration = body.starts(with: Array("xml".utf8)) && (body.count == 3 || [0x20, 0x09, 0x0A, 0x0D].contains(body[body.startIndex + 3]))
        if isDeclaration {
            guard atDocumentStart else {
                throw error(sawRoot ? "a second XML declaration (two documents concatenated?)" : "the XML declaration is not at the start")
            }
            try checkDeclaration(Array(body))
        }
        try validateText(position..<close)
        position = close + 2
    }

    /// Checks `version="1.x"` and the pseudo-attributes' quoting.
    private func checkDeclaration(_ body: [UInt8]) throws {
        let text = String(decoding: body.dropFirst(3), as: UTF8.self)
        var rest = Substring(text)
        var sawVersion = false
        while true {
            rest = rest.drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
            if rest.isEmpty { break }
            guard let equals = rest.firstIndex(of: "=") else { throw error("the XML declaration is not well-formed") }
            let key = rest[..<equals].trimmingCharacters()
            rest = rest[rest.index(after: equals)...].drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
            guard let quote = rest.first, quote == "\"" || quote == "'",
                  let close = rest.dropFirst().firstIndex(of: quote) else {
                throw error("the XML declaration is not well-formed (values must be quoted)")
            }
            if key == "version" { sawVersion = true }
            guard ["version", "encoding", "standalone"].contains(key) else {
                throw error("the XML declaration is not well-formed (unknown '\(key)')")
            }
            rest = rest[rest.index(after: close)...]
        }
        if !sawVersion { throw error("the XML declaration has no version") }
    }

    /// `<!--...-->`, `<![CDATA[...]]>` or a refused `<!DOCTYPE`. Returns CDATA text.
    private func bang() throws -> String? {
        guard try ensure(4) else { throw error("the document ends inside markup (truncated?)") }
        if buffer[position + 2] == UInt8(ascii: "-") && buffer[position + 3] == UInt8(ascii: "-") {
            let close = try find(Array("-->".utf8), from: position + 4, what: "a comment")
            if search([UInt8(ascii: "-"), UInt8(ascii: "-")], in: (position + 4)..<close) != nil || (close > position + 4 && buffer[close - 1] == UInt8(ascii: "-")) {
                throw error("'--' inside a comment")
            }
            try validateText((position + 4)..<close)
            position = close + 3
            return nil
        }
        guard try ensure(9) else { throw error("the document ends inside markup (truncated?)") }
        if buffer[position..<(position + 9)].elementsEqual("<![CDATA[".utf8) {
            guard !openElements.isEmpty else { throw error("CDATA outside the root element") }
            return try cdata()
        }
        if buffer[position..<(position + 9)].elementsEqual("<!DOCTYPE".utf8) {
            throw error("a DOCTYPE (DTD) is not accepted in a test report: entities and external references are never processed")
        }
        throw error("unknown markup '<!'")
    }

    /// CDATA content, streamed in pieces so a section of any size needs no more than the buffer.
    private func cdata() throws -> String? {
        position += 9
        var out: [UInt8] = []
        while true {
            if let close = search(Self.cdataEnd, in: position..<end) {
                try validateText(position..<close)
                if keepsText { out.append(contentsOf: buffer[position..<close]) }
                position = close + 3
                return keepsText ? String(decoding: out, as: UTF8.self) : nil
            }
            if atEndOfInput { throw error("the document ends inside a CDATA section (truncated?)") }
            // Keep the last two bytes (a split "]]>") and any split UTF-8 sequence for later.
            let safeEnd = Self.characterBoundary(in: buffer, before: max(position, end - 2), from: position)
            try validateText(position..<safeEnd)
            if keepsText && out.count < Self.maximumTextPiece { out.append(contentsOf: buffer[position..<safeEnd]) }
            position = safeEnd
            try refill()
        }
    }

    private static let cdataEnd = Array("]]>".utf8)
    /// The most text kept from one CDATA section or run of character data.
    static let maximumTextPiece = 1 << 20

    /// `limit`, or the start of a UTF-8 sequence that `limit` would split.
    static func characterBoundary(in bytes: [UInt8], before limit: Int, from start: Int) -> Int {
        var lead = limit - 1
        var steps = 0
        while lead >= start && steps < 3 && bytes[lead] & 0xC0 == 0x80 { lead -= 1; steps += 1 }
        guard lead >= start else { return limit }
        let byte = bytes[lead]
        let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
        return lead + length > limit ? lead : limit
    }

    /// Text up to the next `<`, with references resolved, streamed through the buffer.
    private func characterData() throws -> String? {
        var out: [UInt8] = []
        while true {
            if position == end {
                if try !ensure(1) { return keepsText ? String(decoding: out, as: UTF8.self) : nil }
            }
            let runEnd = buffer.withUnsafeBufferPointer { bytes in
                var runEnd = position
                while runEnd < end, bytes[runEnd] != UInt8(ascii: "<"), bytes[runEnd] != UInt8(ascii: "&") { runEnd += 1 }
                return runEnd
            }
            if search(Self.cdataEnd, in: position..<runEnd) != nil {
                throw error("']]>' in text (write ]]&gt;)")
            }
            var safeEnd = runEnd
            if runEnd == end && !atEndOfInput {
                // Keep a split UTF-8 sequence, and up to two ']' of a split "]]>", for later.
                safeEnd = Self.characterBoundary(in: buffer, before: runEnd, from: position)
                var held = 0
                while held < 2 && safeEnd > position && buffer[safeEnd - 1] == UInt8(ascii: "]") { safeEnd -= 1; held += 1 }
            }
            try validateText(position..<safeEnd)
            if keepsText && out.count < Self.maximumTextPiece { out.append(contentsOf: buffer[position..<safeEnd]) }
            position = safeEnd
            if position < end && buffer[position] == UInt8(ascii: "<") {
                return keepsText ? String(decoding: out, as: UTF8.self) : nil
            }
            if position < end && buffer[position] == UInt8(ascii: "&") {
                let decoded = try reference()
                if keepsText && out.count < Self.maximumTextPiece { out.append(contentsOf: decoded) }
            } else if position < end || !atEndOfInput {
                try refill()
            }
        }
    }

    /// Resolves `&...;` at `position`: the five predefined entities and character references.
    private func reference() throws -> [UInt8] {
        // A reference is short: look for its ';' within a few bytes, else the '&' is bare.
        _ = try ensure(12)
        guard let close = search([UInt8(ascii: ";")], in: (position + 1)..<min(end, position + 12)) else {
            throw error("a bare '&' (write &amp;)")
        }
        let body = Array(buffer[(position + 1)..<close])
        let decoded = try decodeReference(body)
        position = close + 1
        return decoded
    }

    /// The text of a reference's body (between `&` and `;`).
    private func decodeReference(_ body: [UInt8]) throws -> [UInt8] {
        // The five entities compared byte by byte: a pattern of `Array("lt".utf8)` built an
        // array per case per reference, a twentieth of reading a report full of `&quot;`.
        if let entity = Self.predefinedEntity(body) { return [entity] }
        switch body {
        default:
            guard body.first == UInt8(ascii: "#") else {
                if body.isEmpty || body.contains(where: { $0 == 0x20 || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: "&") }) {
                    throw error("a bare '&' (write &amp;)")
                }
                throw error("undefined entity '&\(String(decoding: body, as: UTF8.self));': only the five predefined entities are accepted")
            }
            let hex = body.count > 1 && (body[1] == UInt8(ascii: "x"))
            let digits = String(decoding: body.dropFirst(hex ? 2 : 1), as: UTF8.self)
            guard !digits.isEmpty, digits.utf8.allSatisfy({ hex ? $0.isHexDigitByte : (0x30...0x39).contains($0) }),
                  let value = UInt32(digits, radix: hex ? 16 : 10), let scalar = Unicode.Scalar(value), Self.isXMLChar(value) else {
                throw error("the character reference '&\(String(decoding: body, as: UTF8.self));' is not a legal XML 1.0 character")
            }
            return Array(String(Character(scalar)).utf8)
        }
    }

    /// The character a predefined entity's name stands for, or nil.
    static func predefinedEntity(_ name: [UInt8]) -> UInt8? {
        switch name.count {
        case 2 where name[1] == UInt8(ascii: "t"):
            return name[0] == UInt8(ascii: "l") ? UInt8(ascii: "<") : name[0] == UInt8(ascii: "g") ? UInt8(ascii: ">") : nil
        case 3 where name[0] == UInt8(ascii: "a") && name[1] == UInt8(ascii: "m") && name[2] == UInt8(ascii: "p"):
            return UInt8(ascii: "&")
        case 4 where name[0] == UInt8(ascii: "a") && name[1] == UInt8(ascii: "p") && name[2] == UInt8(ascii: "o") && name[3] == UInt8(ascii: "s"):
            return UInt8(ascii: "'")
        case 4 where name[0] == UInt8(ascii: "q") && name[1] == UInt8(ascii: "u") && name[2] == UInt8(ascii: "o") && name[3] == UInt8(ascii: "t"):
            return UInt8(ascii: "\"")
        default:
            return nil
        }
    }

    @inline(__always)
    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x09 || byte == 0x0D
    }

    static func isXMLChar(_ value: UInt32) -> Bool {
        value == 0x9 || value == 0xA || value == 0xD || (0x20...0xD7FF).contains(value)
            || (0xE000...0xFFFD).contains(value) || (0x10000...0x10FFFF).contains(value)
    }

    /// Checks that bytes are legal XML characters in valid UTF-8.
    private func validateText(_ range: Range<Int>) throws {
        guard let (index, message) = buffer.withUnsafeBufferPointer({ Self.firstTextProblem(in: $0, range) }) else { return }
        position = index
        throw error(message)
    }

    /// Where `range` of `bytes` first breaks XML 1.0's characters, and how; nil when it does not.
    ///
    /// Eight bytes of plain ASCII (no control character, no high bit), most of any report, are
    /// passed at once; the rest a character at a time.
    static func firstTextProblem(in bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> (Int, String)? {
        guard let base = bytes.baseAddress else { return nil }
        let raw = UnsafeRawPointer(base)
        var i = range.lowerBound
        while i < range.upperBound {
            if range.upperBound - i >= 8 {
                // A byte below 0x20 borrows into its high bit when 0x20 is taken from it; a
                // byte of 0x80 or more has it already.
                let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if (word | (word &- 0x2020_2020_2020_2020)) & 0x8080_8080_8080_8080 == 0 { i += 8; continue }
            }
            let byte = bytes[i]
            if byte >= 0x20 && byte < 0x80 { i += 1; continue }
            if byte < 0x20 {
                guard byte == 0x09 || byte == 0x0A || byte == 0x0D else {
                    return (i, "the control character 0x\(String(byte, radix: 16, uppercase: true)) is not allowed in XML 1.0 (even in CDATA)")
                }
                i += 1
                continue
            }
            let length = utf8SequenceLength(bytes, at: i, limit: range.upperBound)
            if length == 3 && byte == 0xEF && bytes[i + 1] == 0xBF && bytes[i + 2] >= 0xBE {
                return (i, "the noncharacter U+FFF\(bytes[i + 2] == 0xBE ? "E" : "F") is not allowed in XML 1.0")
            }
            guard length > 0 else {
                return (i, "invalid UTF-8 (byte 0x\(String(byte, radix: 16, uppercase: true))); the declared encoding does not match the bytes")
            }
            i += length
        }
        return nil
    }

    /// The length of the valid UTF-8 sequence at `i`, or 0 (RFC 3629 §4).
    static func utf8SequenceLength(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int, limit: Int) -> Int {
        let lead = bytes[i]
        var length = 0, lower: UInt8 = 0x80, upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: return 0
        }
        guard i + length <= limit, bytes[i + 1] >= lower, bytes[i + 1] <= upper else { return 0 }
        for k in 2..<max(2, length) where bytes[i + k] & 0xC0 != 0x80 { return 0 }
        return length
    }

    private func endTag() throws -> XMLToken {
        let close = try find([UInt8(ascii: ">")], from: position + 2, what: "an end tag")
        var nameEnd = close
        while nameEnd > position + 2, Self.isSpace(buffer[nameEnd - 1]) { nameEnd -= 1 }
        let name = String(decoding: buffer[(position + 2)..<nameEnd], as: UTF8.self)
        guard let open = openElements.last else { throw error("the end tag </\(name)> has no start tag") }
        guard name == open else { throw error("mismatched tag: </\(name)> closes <\(open)>") }
        openElements.removeLast()
        position = close + 1
        return .end(name: name)
    }

    private func startTag() throws -> XMLToken {
        guard !(sawRoot && openElements.isEmpty) else { throw error("a second root element (two documents, or junk at the end)") }
        // Find the tag's end, skipping '>' inside quoted values.
        var i = position + 1
        var quote: UInt8 = 0
        while true {
            if i >= end {
                if atEndOfInput { throw error("the document ends inside a tag (truncated?)") }
                if end - position > Self.maximumMarkupLength { throw error("a tag longer than \(Self.maximumMarkupLength) bytes") }
                let offset = i - position
                try refill()
                i = position + offset
                continue
            }
            // Scan what the buffer holds; stop at the tag's end, a '<' in a value, or the end.
            let scanned = buffer.withUnsafeBufferPointer { bytes in
                var j = i
                while j < end {
                    let byte = bytes[j]
                    if quote != 0 {
                        if byte == quote { quote = 0 } else if byte == UInt8(ascii: "<") { return (j, false) }
                    } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                        quote = byte
                    } else if byte == UInt8(ascii: ">") {
                        return (j, true)
                    }
                    j += 1
                }
                return (j, false)
            }
            i = scanned.0
            if scanned.1 { break }
            if i < end {
                position = i
                throw error("'<' inside an attribute value (write &lt;)")
            }
        }
        let close = i
        let selfClosing = buffer[close - 1] == UInt8(ascii: "/")
        let tagEnd = selfClosing ? close - 1 : close
        var cursor = position + 1
        let name = try xmlName(&cursor, limit: tagEnd)
        var attributes: [XMLAttribute] = []
        var attributeNames = Set<String>()
        while true {
            let beforeSpace = cursor
            while cursor < tagEnd, Self.isSpace(buffer[cursor]) { cursor += 1 }
            if cursor == tagEnd { break }
            guard cursor > beforeSpace else { throw error("attributes must be separated by white space in <\(name)>") }
            let attributeName = try xmlName(&cursor, limit: tagEnd)
            while cursor < tagEnd, Self.isSpace(buffer[cursor]) { cursor += 1 }
            guard cursor < tagEnd, buffer[cursor] == UInt8(ascii: "=") else { throw error("attribute '\(attributeName)' in <\(name)> has no value") }
            cursor += 1
            while cursor < tagEnd, Self.isSpace(buffer[cursor]) { cursor += 1 }
            guard cursor < tagEnd, buffer[cursor] == UInt8(ascii: "\"") || buffer[cursor] == UInt8(ascii: "'") else {
                throw error("the value of '\(attributeName)' in <\(name)> is not quoted")
            }
            let quoteChar = buffer[cursor]
            let valueStart = cursor + 1
            var valueEnd = valueStart
            while valueEnd < tagEnd && buffer[valueEnd] != quoteChar { valueEnd += 1 }
            guard valueEnd < tagEnd else { throw error("unterminated value of '\(attributeName)' in <\(name)>") }
            let value = try attributeValue(valueStart..<valueEnd)
            // A short list is scanned; a long one (hostile, say) goes through a set, so the check stays linear.
            let duplicate = attributes.count < 16
                ? attributes.contains { $0.name == attributeName }
                : !attributeNames.insert(attributeName).inserted
            if attributes.count == 15 { attributeNames = Set(attributes.map(\.name) + [attributeName]) }
            if duplicate {
                throw error("attribute '\(attributeName)' appears twice in <\(name)>")
            }
            attributes.append(XMLAttribute(name: attributeName, value: value))
            cursor = valueEnd + 1
        }
        position = close + 1
        sawRoot = true
        guard openElements.count < Self.maximumDepth else { throw error("elements nested deeper than \(Self.maximumDepth)") }
        if selfClosing { pendingEnd = name } else { openElements.append(name) }
        return .start(name: name, attributes: attributes)
    }

    private func xmlName(_ cursor: inout Int, limit: Int) throws -> String {
        let start = cursor
        let stop = buffer.withUnsafeBufferPointer { bytes in
            var index = start
            while index < limit {
                let byte = bytes[index]
                if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "/") { break }
                if byte == UInt8(ascii: "<") || byte == UInt8(ascii: "&") || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") { return (index, byte) }
                index += 1
            }
            return (index, UInt8(0))
        }
        cursor = stop.0
        if stop.1 != 0 {
            position = cursor
            throw error("'\(Character(Unicode.Scalar(stop.1)))' is not allowed in a name")
        }
        guard cursor > start else { position = start; throw error("a tag or attribute without a name") }
        if let known = knownName(start..<cursor) { return known }
        let first = buffer[start]
        if first == UInt8(ascii: "-") || first == UInt8(ascii: ".") || (0x30...0x39).contains(first) {
            position = start
            throw error("a name may not start with '\(Character(Unicode.Scalar(first)))'")
        }
        try validateText(start..<cursor)
        let name = String(decoding: buffer[start..<cursor], as: UTF8.self)
        if knownNames.count < Self.knownNameLimit { knownNames.append((Array(buffer[start..<cursor]), name)) }
        return name
    }

    /// The names met first in the document (a report uses a dozen, over and over), checked
    /// and decoded once: a name met again is found by its bytes.
    @exclusivity(unchecked) private var knownNames: [(bytes: [UInt8], name: String)] = []
    private static let knownNameLimit = 32

    /// The known name with the bytes at `range`, if any.
    private func knownName(_ range: Range<Int>) -> String? {
        buffer.withUnsafeBufferPointer { bytes in
            knownNames.first { $0.bytes.count == range.count && $0.bytes.elementsEqual(bytes[range]) }?.name
        }
    }

    /// An attribute value with references resolved and white space normalized (XML 1.0 §3.3.3).
    private func attributeValue(_ range: Range<Int>) throws -> String {
        try validateText(range)
        // Most values hold no reference and no white space to normalise: taken as they are.
        let plain = buffer.withUnsafeBufferPointer { bytes in
            !bytes[range].contains { $0 == UInt8(ascii: "&") || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        }
        if plain { return String(decoding: buffer[range], as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(range.count)
        var i = range.lowerBound
        while i < range.upperBound {
            let byte = buffer[i]
            if byte == UInt8(ascii: "&") {
                guard let semicolon = buffer[i..<range.upperBound].firstIndex(of: UInt8(ascii: ";")), semicolon - i <= 12 else {
                    position = i
                    throw error("a bare '&' in an attribute value (write &amp;)")
                }
                out.append(contentsOf: try decodeReference(Array(buffer[(i + 1)..<semicolon])))
                i = semicolon + 1
                continue
            }
            out.append(byte == 0x09 || byte == 0x0A || byte == 0x0D ? 0x20 : byte)
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

private extension UInt8 {
    var isHexDigitByte: Bool { (0x30...0x39).contains(self) || (0x41...0x46).contains(self) || (0x61...0x66).contains(self) }
}
