extension CanonicalJSON {
    /// Indents well-formed JSON for people to read: two spaces a level, `key: value`.
    ///
    /// Only for display: what is stored, hashed and exported is always the canonical form.
    public static func prettyPrinted(_ json: some Collection<UInt8>, indent: Int = 0) -> String {
        var out = [UInt8]()
        var level = indent
        var inString = false
        var escaped = false
        let bytes = Array(json)
        func newline() {
            out.append(0x0A)
            out.append(contentsOf: repeatElement(0x20, count: level * 2))
        }
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            defer { i += 1 }
            if inString {
                out.append(byte)
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                out.append(byte)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                out.append(byte)
                if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "}") || bytes[i + 1] == UInt8(ascii: "]") {
                    out.append(bytes[i + 1])
                    i += 1
                } else {
                    level += 1
                    newline()
                }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                level -= 1
                newline()
                out.append(byte)
            case UInt8(ascii: ","):
                out.append(byte)
                newline()
            case UInt8(ascii: ":"):
                out.append(contentsOf: [UInt8(ascii: ":"), 0x20])
            case 0x20, 0x09, 0x0A, 0x0D:
                break
            default:
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
