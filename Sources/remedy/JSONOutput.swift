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

    /// A decimal the read models keep as text ("0.9500", for the same digits in SQL and
    /// Swift) as a JSON number; nil (printed `null`) when there is none.
    static func number(_ text: String?) -> Double? {
        text.flatMap(Double.init).flatMap { $0.isFinite ? $0 : nil }
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
