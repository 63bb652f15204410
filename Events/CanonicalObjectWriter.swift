/// Writes a canonical JSON object field by field, for payloads the loop writes so often that
/// `JSONEncoder` and a re-parse would cost more than the rest of the work (a case outcome per
/// attempt, a failure per new failing case). The caller gives the fields in canonical order
/// (keys sorted by UTF-16 code units) and skips absent ones; a test per payload holds the
/// bytes equal to the generic encoder's.
///
/// ```swift
/// var object = CanonicalObjectWriter(capacity: 64)
/// object.integer("attempt", 1)
/// object.string("case", "a::b")
/// let bytes = object.finish()
/// ```
struct CanonicalObjectWriter {
    private var out: [UInt8]

    init(capacity: Int) {
        out = []
        out.reserveCapacity(capacity)
        out.append(UInt8(ascii: "{"))
    }

    /// A field's name: a literal of plain ASCII with nothing to escape (every field name of the
    /// catalogue), copied as it is.
    private mutating func key(_ name: StaticString) {
        if out.count > 1 { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    /// A string field; nothing when `value` is nil.
    mutating func string(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        CanonicalJSON.appendString(value, to: &out)
    }

    /// An integer field; nothing when `value` is nil.
    mutating func integer(_ name: StaticString, _ value: Int?) {
        guard let value else { return }
        key(name)
        CanonicalJSON.appendInteger(value, to: &out)
    }

    mutating func bool(_ name: StaticString, _ value: Bool) {
        key(name)
        out.append(contentsOf: value ? Array("true".utf8) : Array("false".utf8))
    }

    /// A field whose value is already canonical JSON.
    mutating func canonical(_ name: StaticString, _ value: [UInt8]) {
        key(name)
        out.append(contentsOf: value)
    }

    /// The object's bytes, closed.
    mutating func finish() -> [UInt8] {
        out.append(UInt8(ascii: "}"))
        return out
    }
}
