extension CanonicalJSON {
    /// Decodes a JSON string value (quotes included) to a Swift string, or nil if `bytes` is
    /// not a string.
    ///
    /// - Throws: ``EventError`` when the string is malformed.
    public static func decodeString(_ bytes: [UInt8]) throws -> String? {
        guard bytes.first == UInt8(ascii: "\"") else { return nil }
        return try bytes.withUnsafeBufferPointer { buffer in
            var parser = CanonicalJSONParser(buffer)
            var decoded = [UInt8]()
            try parser.parseString(decodedInto: &decoded)
            try parser.expectEnd()
            return String(decoding: decoded, as: UTF8.self)
        }
    }

    /// Decodes a flat JSON object whose values are all strings (such as envelope metadata).
    ///
    /// - Throws: ``EventError`` when `bytes` is not such an object.
    public static func decodeStringObject(_ bytes: [UInt8]) throws -> [String: String] {
        var result: [String: String] = [:]
        try forEachMember(of: bytes) { key, value in
            guard let text = try decodeString(value) else {
                throw EventError(.malformedJSON, "\"\(key)\" must be a string")
            }
            result[key] = text
        }
        return result
    }

    /// Calls `body` with each member of a JSON object, in document order, its value in
    /// canonical form. Duplicate keys are refused.
    ///
    /// - Throws: ``EventError`` when `bytes` is not a well-formed object, or what `body` throws.
    public static func forEachMember(
        of bytes: some Collection<UInt8>, _ body: (String, [UInt8]) throws -> Void
    ) throws {
        let array = Array(bytes)
        try array.withUnsafeBufferPointer { buffer in
            var parser = CanonicalJSONParser(buffer)
            parser.skipWhitespace()
            if let first = parser.peek(), first != UInt8(ascii: "{") {
                throw EventError(.notAnObject, "expected a JSON object, not \(describeValueStart(first))")
            }
            try parser.expect(UInt8(ascii: "{"), "expected a JSON object")
            var seen = Set<String>()
            parser.skipWhitespace()
            if parser.peek() == UInt8(ascii: "}") {
                try parser.expect(UInt8(ascii: "}"), "")
                try parser.expectEnd()
                return
            }
            var key = [UInt8](), value = [UInt8]()
            while true {
                parser.skipWhitespace()
                guard parser.peek() == UInt8(ascii: "\"") else { throw parser.unexpected("expected a string key") }
                key.removeAll(keepingCapacity: true)
                value.removeAll(keepingCapacity: true)
                try parser.parseString(decodedInto: &key)
                try parser.expect(UInt8(ascii: ":"), "expected ':' after an object key")
                try parser.parseValue(into: &value)
                let name = String(decoding: key, as: UTF8.self)
                guard seen.insert(name).inserted else {
                    throw EventError(.malformedJSON, "malformed JSON: duplicate key \"\(name)\" in an object")
                }
                try body(name, value)
                parser.skipWhitespace()
                if parser.peek() == UInt8(ascii: ",") { try parser.expect(UInt8(ascii: ","), ""); continue }
                try parser.expect(UInt8(ascii: "}"), "expected ',' or '}' in an object")
                break
            }
            try parser.expectEnd()
        }
    }
}
