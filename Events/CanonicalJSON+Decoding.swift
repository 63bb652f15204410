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
        try withParser(bytes) { parser in
            var seen = Set<String>()
            try parser.walkObject { parser, key in
                let name = String(decoding: key, as: UTF8.self)
                guard seen.insert(name).inserted else {
                    throw EventError.duplicateKey(name)
                }
                var value = [UInt8]()
                try parser.parseValue(into: &value)
                try body(name, value)
            }
        }
    }

    /// Runs `body` with a parser over `bytes` (copying only if they are not contiguous), and
    /// requires that it consumes the whole document.
    static func withParser<T>(_ bytes: some Collection<UInt8>, _ body: (inout CanonicalJSONParser) throws -> T) throws -> T {
        func run(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<T, any Error> {
            Result {
                var parser = CanonicalJSONParser(buffer)
                let result = try body(&parser)
                try parser.expectEnd()
                return result
            }
        }
        let result = bytes.withContiguousStorageIfAvailable(run) ?? Array(bytes).withUnsafeBufferPointer(run)
        return try result.get()
    }
}
