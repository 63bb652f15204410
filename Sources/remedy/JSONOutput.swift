#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Prints `--json` results from `Encodable` types: one line, keys sorted,
/// property names in snake_case (`treeSize` → `tree_size`), numbers as numbers.
///
/// A missing value must be `null`, not an absent key: optional fields of output types are
/// marked ``NullEncoded``.
enum JSONOutput {
    static func line(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func print(_ value: some Encodable) throws {
        StandardOutput.shared.writeLine(try line(value))
    }
}

/// An optional field of a `--json` output type that is printed as `null` when missing
/// (synthesized `Encodable` would leave the key out).
///
/// ```swift
/// struct Output: Encodable { @NullEncoded var checkpoint: String? }   // {"checkpoint":null}
/// ```
@propertyWrapper
struct NullEncoded<Value: Encodable>: Encodable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}
