import Foundation
import XCTest

/// A JSON value as the decoder saw its type: a number is not a string of digits, `true` is
/// not 1, `null` is not a missing key.
enum JSONValue: Decodable, Equatable {
    case null, bool(Bool), int(Int), double(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let single = try decoder.singleValueContainer()
        if single.decodeNil() { self = .null }
        else if let value = try? single.decode(Bool.self) { self = .bool(value) }
        else if let value = try? single.decode(Int.self) { self = .int(value) }
        else if let value = try? single.decode(Double.self) { self = .double(value) }
        else if let value = try? single.decode(String.self) { self = .string(value) }
        else if let value = try? single.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try single.decode([String: JSONValue].self)) }
    }
}

/// A `--json` line parsed, for assertions on values and their JSON types, not on key order.
struct JSONLine {
    let object: [String: JSONValue]

    init(_ text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        guard case .object(let members) = value else {
            XCTFail("not a JSON object: \(text)", file: file, line: line)
            object = [:]
            return
        }
        object = members
    }

    init(object: [String: JSONValue]) {
        self.object = object
    }

    subscript(_ key: String) -> JSONValue? { object[key] }

    func string(_ key: String) -> String? { if case .string(let value)? = object[key] { value } else { nil } }
    /// An integer, only if JSON gave one (not a string of digits, not a boolean).
    func int(_ key: String) -> Int? { if case .int(let value)? = object[key] { value } else { nil } }
    /// A number with a fraction (or an integer).
    func double(_ key: String) -> Double? {
        switch object[key] {
        case .double(let value)?: value
        case .int(let value)?: Double(value)
        default: nil
        }
    }
    func bool(_ key: String) -> Bool? { if case .bool(let value)? = object[key] { value } else { nil } }
    /// Whether the key is present with the value null.
    func isNull(_ key: String) -> Bool { object[key] == .null }
    func strings(_ key: String) -> [String]? {
        guard case .array(let items)? = object[key] else { return nil }
        return items.compactMap { if case .string(let value) = $0 { value } else { nil } }
    }
    func child(_ key: String) -> JSONLine? { if case .object(let members)? = object[key] { JSONLine(object: members) } else { nil } }
    func children(_ key: String) -> [JSONLine] {
        guard case .array(let items)? = object[key] else { return [] }
        return items.compactMap { if case .object(let members) = $0 { JSONLine(object: members) } else { nil } }
    }
}
