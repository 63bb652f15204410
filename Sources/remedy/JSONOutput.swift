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
        String(decoding: try encoder().encode(value), as: UTF8.self)
    }

    private static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }

    static func print(_ value: some Encodable) throws {
        StandardOutput.shared.writeLine(try line(value))
    }

    /// Prints `value` with each of `arrays` (fields of it) written an element at a time where
    /// its placeholder was encoded: the same line ``print(_:)`` gives, without the whole
    /// array in memory at once.
    static func print(_ value: some Encodable, streaming arrays: [any StreamedJSONArray]) throws {
        var text = Array(try line(value).utf8)[...]
        let elementEncoder = encoder()
        // Where each placeholder is, in the order the arrays appear in the line.
        var placed: [(start: Int, placeholder: [UInt8], array: any StreamedJSONArray)] = []
        for array in arrays {
            let placeholder = Array(try line(array.placeholder).utf8)
            if let range = text.firstRange(of: placeholder) { placed.append((range.lowerBound, placeholder, array)) }
        }
        for (start, placeholder, array) in placed.sorted(by: { $0.start < $1.start }) {
            StandardOutput.shared.write(String(decoding: text[..<start], as: UTF8.self))
            StandardOutput.shared.write("[")
            var first = true
            try array.forEachElement { element in
                StandardOutput.shared.write(first ? "" : ",")
                first = false
                StandardOutput.shared.write(String(decoding: try elementEncoder.encode(element), as: UTF8.self))
            }
            StandardOutput.shared.write("]")
            text = text[(start + placeholder.count)...]
        }
        StandardOutput.shared.writeLine(String(decoding: text, as: UTF8.self))
    }

    /// A decimal the read models keep as text ("0.9500", for the same digits in SQL and
    /// Swift) as a JSON number; nil (printed `null`) when there is none.
    static func number(_ text: String?) -> Double? {
        text.flatMap(Double.init).flatMap { $0.isFinite ? $0 : nil }
    }
}

/// An array field of a `--json` output type too long to hold in memory (the failures a run of
/// a million cases detected): encoded as a placeholder no other value contains, then written
/// element by element in its place by ``JSONOutput/print(_:streaming:)``.
///
/// ```swift
/// let ids = StreamedArray<String> { body in try list.forEach { try body($0.failure) } }
/// try JSONOutput.print(Output(ids: ids), streaming: [ids])
/// ```
struct StreamedArray<Element: Encodable>: Encodable, StreamedJSONArray {
    let placeholder = "\u{1}streamed-array-\(UInt64.random(in: .min ... .max))"
    let elements: (_ body: (Element) throws -> Void) throws -> Void

    init(_ elements: @escaping (_ body: (Element) throws -> Void) throws -> Void) {
        self.elements = elements
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(placeholder)
    }

    func forEachElement(_ body: (any Encodable) throws -> Void) throws {
        try elements { try body($0) }
    }
}

/// What ``JSONOutput/print(_:streaming:)`` needs of a ``StreamedArray``.
protocol StreamedJSONArray {
    var placeholder: String { get }
    func forEachElement(_ body: (any Encodable) throws -> Void) throws
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
