import Events
import Projections

/// The small JSON values the CLI prints with `--json`, written with the ledger's own string
/// escaping so machine output never depends on a formatter's whims.
enum JSONText {
    indirect enum Value {
        case int(Int)
        case string(String)
        case bool(Bool)
        case null
        case object([(String, Value)])
        case array([Value])
    }

    /// One line of JSON for an object whose members keep the given order.
    static func object(_ members: [(String, Value)]) -> String {
        var out = [UInt8]()
        append(.object(members), to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func append(_ value: Value, to out: inout [UInt8]) {
        switch value {
        case .int(let number): CanonicalJSON.appendInteger(number, to: &out)
        case .string(let text): CanonicalJSON.appendString(text, to: &out)
        case .bool(let flag): out.append(contentsOf: Array((flag ? "true" : "false").utf8))
        case .null: out.append(contentsOf: Array("null".utf8))
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                append(item, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (index, (key, member)) in members.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                CanonicalJSON.appendString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                append(member, to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}

extension JSONText.Value {
    /// A read-model value as JSON: integers, strings, null.
    init(_ value: RowValue) {
        switch value {
        case .integer(let number): self = .int(number)
        case .text(let text): self = .string(text)
        case .null: self = .null
        }
    }
}
