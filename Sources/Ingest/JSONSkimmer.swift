/// Finds the members of a JSON object without decoding their values: a scan over the bytes
/// that only tracks strings and nesting, so the large values a reader does not need (an eval
/// sample's transcript and events) cost a pass over their bytes and nothing more.
///
/// It assumes well-formed JSON (the decoder that reads the members kept checks what it reads)
/// and reports only what it cannot skip: an unterminated string or container.
enum JSONSkimmer {
    /// The top-level members of the object in `bytes`: each key and the byte range of its
    /// value; nil when `bytes` is not an object it can walk.
    static func members(of bytes: UnsafeBufferPointer<UInt8>) -> [(key: String, value: Range<Int>)]? {
        var index = skipSpace(bytes, 0)
        guard index < bytes.count, bytes[index] == UInt8(ascii: "{") else { return nil }
        index += 1
        var members: [(key: String, value: Range<Int>)] = []
        while true {
            index = skipSpace(bytes, index)
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "}") { return members }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            guard bytes[index] == UInt8(ascii: "\""), let keyEnd = stringEnd(bytes, index) else { return nil }
            let keyBytes = UnsafeBufferPointer(rebasing: bytes[(index + 1)..<(keyEnd - 1)])
            // Keys with escapes are left out: no key remedy reads has one.
            let key = keyBytes.contains(UInt8(ascii: "\\")) ? "" : String(decoding: keyBytes, as: UTF8.self)
            index = skipSpace(bytes, keyEnd)
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return nil }
            index = skipSpace(bytes, index + 1)
            guard let end = valueEnd(bytes, index) else { return nil }
            members.append((key, index..<end))
            index = end
        }
    }

    private static func skipSpace(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int {
        var index = start
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 { index += 1 }
        return index
    }

    /// The index after the closing quote of the string starting at `start`.
    ///
    /// Jumps from quote to quote with `memchr` (vectorised in the C library): a sample's
    /// transcript is mostly long strings, and a byte-at-a-time loop over them was a third of
    /// the time spent reading an `.eval` sample. A quote after an odd run of backslashes is
    /// escaped, and the search goes on past it.
    private static func stringEnd(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int? {
        var index = start + 1
        while index < bytes.count {
            guard let quote = bytes.firstIndex(of: UInt8(ascii: "\""), in: index..<bytes.count) else { return nil }
            var backslashes = 0
            while quote - backslashes - 1 > start, bytes[quote - backslashes - 1] == UInt8(ascii: "\\") { backslashes += 1 }
            if backslashes % 2 == 0 { return quote + 1 }
            index = quote + 1
        }
        return nil
    }

    /// The index after the value starting at `start`.
    private static func valueEnd(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int? {
        guard start < bytes.count else { return nil }
        switch bytes[start] {
        case UInt8(ascii: "\""):
            return stringEnd(bytes, start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0, index = start
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    guard let end = stringEnd(bytes, index) else { return nil }
                    index = end
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return index + 1 }
                default:
                    break
                }
                index += 1
            }
            return nil
        default:
            var index = start
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") || byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { break }
                index += 1
            }
            return index
        }
    }

    /// A JSON object of only the members of `bytes` named in `keys` (the rest skipped
    /// unread): what a decoder then reads in a fraction of the time.
    static func object(of bytes: [UInt8], keeping keys: Set<String>) -> [UInt8] {
        bytes.withUnsafeBufferPointer { buffer in
            guard let members = members(of: buffer) else { return bytes }
            var out: [UInt8] = [UInt8(ascii: "{")]
            for member in members where keys.contains(member.key) {
                if out.count > 1 { out.append(UInt8(ascii: ",")) }
                out += Array("\"\(member.key)\":".utf8)
                out += buffer[member.value]
            }
            out.append(UInt8(ascii: "}"))
            return out
        }
    }
}
