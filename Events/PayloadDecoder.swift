/// A `Decoder` over stored canonical payloads: what projections and the loop's fold decode
/// events with.
///
/// Foundation's `JSONDecoder` decoded about 100,000 small payloads a second here, which made
/// it most of a projection rebuild's time. Stored payloads are already canonical (checked on
/// append), so this reads them into a small tree with the ledger's own parser and decodes the
/// `Codable` catalogue types from it: same types, same field names, same errors for missing or
/// mistyped fields, several times faster.
public struct PayloadDecoder {
    public init() {}

    /// Decodes `T` from the canonical JSON `bytes`.
    ///
    /// - Throws: `DecodingError` when the bytes do not hold a `T`; ``EventError`` when they are
    ///   not JSON.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        let node = try CanonicalJSON.withParser(bytes) { parser in try parser.parseNode(depth: 0) }
        return try T(from: NodeDecoder(node: node, codingPath: []))
    }
}

/// A parsed JSON value. Objects keep their members in order (canonical: sorted by key), and
/// are searched linearly: payloads have a dozen fields, not thousands.
enum JSONNode {
    case string(String)
    case integer(Int)
    case bool(Bool)
    case null
    case array([JSONNode])
    case object([(key: String, value: JSONNode)])

    var kind: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .bool: return "a boolean"
        case .null: return "null"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

extension CanonicalJSONParser {
    /// Parses one value into a tree.
    mutating func parseNode(depth: Int) throws -> JSONNode {
        guard depth < CanonicalJSON.maximumDepth else { throw failure("nesting deeper than \(CanonicalJSON.maximumDepth) levels") }
        skipWhitespace()
        switch peek() {
        case UInt8(ascii: "{"):
            var members: [(key: String, value: JSONNode)] = []
            try walkObject { parser, key in
                members.append((String(decoding: key, as: UTF8.self), try parser.parseNode(depth: depth + 1)))
            }
            return .object(members)
        case UInt8(ascii: "["):
            var items: [JSONNode] = []
            try walkArray { parser in items.append(try parser.parseNode(depth: depth + 1)) }
            return .array(items)
        case UInt8(ascii: "\""):
            return .string(try parseStringValue() ?? "")
        case UInt8(ascii: "-"), UInt8(ascii: "0"), UInt8(ascii: "1"), UInt8(ascii: "2"), UInt8(ascii: "3"), UInt8(ascii: "4"),
             UInt8(ascii: "5"), UInt8(ascii: "6"), UInt8(ascii: "7"), UInt8(ascii: "8"), UInt8(ascii: "9"):
            return .integer(try parseIntegerValue() ?? 0)
        default:
            var literal: [UInt8] = []
            try parseValue(into: &literal)
            switch literal.first {
            case UInt8(ascii: "t"): return .bool(true)
            case UInt8(ascii: "f"): return .bool(false)
            default: return .null
            }
        }
    }
}

/// Key used in coding paths for array elements.
private struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { String(intValue ?? 0) }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

private struct NodeDecoder: Decoder {
    let node: JSONNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = node else { throw mismatch([String: String].self, node, codingPath) }
        return KeyedDecodingContainer(KeyedNodeContainer<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = node else { throw mismatch([String].self, node, codingPath) }
        return UnkeyedNodeContainer(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleNodeContainer(node: node, codingPath: codingPath)
    }
}

private func mismatch(_ type: Any.Type, _ node: JSONNode, _ path: [any CodingKey]) -> DecodingError {
    DecodingError.typeMismatch(type, .init(codingPath: path, debugDescription: "expected \(type), found \(node.kind)"))
}

/// Decodes a scalar, or anything else through a nested decoder.
private func decodeNode<T: Decodable>(_ type: T.Type, _ node: JSONNode, _ path: [any CodingKey]) throws -> T {
    switch node {
    case .string(let value) where T.self == String.self: return value as! T
    case .integer(let value) where T.self == Int.self: return value as! T
    case .bool(let value) where T.self == Bool.self: return value as! T
    case .null:
        if T.self == String.self || T.self == Int.self || T.self == Bool.self {
            throw DecodingError.valueNotFound(T.self, .init(codingPath: path, debugDescription: "expected \(T.self), found null"))
        }
        return try T(from: NodeDecoder(node: node, codingPath: path))
    default:
        if T.self == String.self || T.self == Int.self || T.self == Bool.self { throw mismatch(T.self, node, path) }
        return try T(from: NodeDecoder(node: node, codingPath: path))
    }
}

private func integer<T: FixedWidthInteger>(_ type: T.Type, _ node: JSONNode, _ path: [any CodingKey]) throws -> T {
    guard case .integer(let value) = node else { throw mismatch(T.self, node, path) }
    guard let converted = T(exactly: value) else {
        throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: "\(value) does not fit in \(T.self)"))
    }
    return converted
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [(key: String, value: JSONNode)]
    let codingPath: [any CodingKey]

    var allKeys: [Key] { members.compactMap { Key(stringValue: $0.key) } }

    func contains(_ key: Key) -> Bool { value(key) != nil }

    private func value(_ key: Key) -> JSONNode? {
        let name = key.stringValue
        for member in members where member.key == name { return member.value }
        return nil
    }

    private func required(_ key: Key) throws -> JSONNode {
        guard let node = value(key) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for \"\(key.stringValue)\""))
        }
        return node
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        if case .null = try required(key) { return true }
        return false
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        let node = try required(key)
        guard case .string(let value) = node else { throw mismatch(type, node, codingPath + [key]) }
        return value
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        let node = try required(key)
        guard case .bool(let value) = node else { throw mismatch(type, node, codingPath + [key]) }
        return value
    }

    func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
        try integer(type, try required(key), codingPath + [key])
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decodeNode(type, try required(key), codingPath + [key])
    }

    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        guard let node = value(key) else { return nil }
        switch node {
        case .null: return nil
        case .string(let value): return value
        default: throw mismatch(type, node, codingPath + [key])
        }
    }

    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? {
        guard let node = value(key) else { return nil }
        if case .null = node { return nil }
        return try integer(type, node, codingPath + [key])
    }

    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? {
        guard let node = value(key) else { return nil }
        switch node {
        case .null: return nil
        case .bool(let value): return value
        default: throw mismatch(type, node, codingPath + [key])
        }
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let node = value(key) else { return nil }
        if case .null = node { return nil }
        return try decodeNode(type, node, codingPath + [key])
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try NodeDecoder(node: try required(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try NodeDecoder(node: try required(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        NodeDecoder(node: .object(members), codingPath: codingPath)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        NodeDecoder(node: value(key) ?? .null, codingPath: codingPath + [key])
    }
}

private struct UnkeyedNodeContainer: UnkeyedDecodingContainer {
    let items: [JSONNode]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(items: [JSONNode], codingPath: [any CodingKey]) {
        self.items = items
        self.codingPath = codingPath
    }

    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next<T>(_ type: T.Type) throws -> (JSONNode, [any CodingKey]) {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(type, .init(codingPath: codingPath + [IndexKey(currentIndex)], debugDescription: "the array has no more elements"))
        }
        defer { currentIndex += 1 }
        return (items[currentIndex], codingPath + [IndexKey(currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, case .null = items[currentIndex] else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (node, path) = try next(type)
        return try decodeNode(type, node, path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (node, path) = try next([String: String].self)
        return try NodeDecoder(node: node, codingPath: path).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (node, path) = try next([String].self)
        return try NodeDecoder(node: node, codingPath: path).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (node, path) = try next(JSONNode.self)
        return NodeDecoder(node: node, codingPath: path)
    }
}

private struct SingleNodeContainer: SingleValueDecodingContainer {
    let node: JSONNode
    let codingPath: [any CodingKey]

    func decodeNil() -> Bool {
        if case .null = node { return true }
        return false
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .string(let value) = node else { throw mismatch(type, node, codingPath) }
        return value
    }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let value) = node else { throw mismatch(type, node, codingPath) }
        return value
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(type, node, codingPath) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type, node, codingPath) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type, node, codingPath) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type, node, codingPath) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type, node, codingPath) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type, node, codingPath) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type, node, codingPath) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type, node, codingPath) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type, node, codingPath) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type, node, codingPath) }

    func decode(_ type: Double.Type) throws -> Double {
        guard case .integer(let value) = node else { throw mismatch(type, node, codingPath) }
        return Double(value)
    }

    func decode(_ type: Float.Type) throws -> Float {
        guard case .integer(let value) = node else { throw mismatch(type, node, codingPath) }
        return Float(value)
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decodeNode(type, node, codingPath)
    }
}
