/// Standard base64 (RFC 4648 §4, with padding), strict on the way in.
///
/// Checkpoints, signed notes, keys and proofs all carry hashes and signatures in this form
/// (C2SP `tlog-checkpoint`, `signed-note`, `tlog-proof`). Decoding refuses anything but the one
/// canonical encoding of some bytes: no whitespace, no missing or extra padding, no non-zero
/// bits left over, so two different texts never decode to the same hash.
///
/// ```swift
/// Base64.encode([0xde, 0xad])   // "3q0="
/// Base64.decode("3q0=")         // [0xde, 0xad]
/// Base64.decode("3q1=")         // nil: leftover bits
/// ```
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(index) }
        return table
    }()

    /// The base64 text of `bytes`.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next(), third = iterator.next()
            let word = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            out.append(alphabet[Int(word >> 18 & 63)])
            out.append(alphabet[Int(word >> 12 & 63)])
            out.append(second == nil ? UInt8(ascii: "=") : alphabet[Int(word >> 6 & 63)])
            out.append(third == nil ? UInt8(ascii: "=") : alphabet[Int(word & 63)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes `text` encodes, or nil when it is not canonical standard base64.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 4 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(digits.count / 4 * 3)
        var index = 0
        while index < digits.count {
            let last = index + 4 == digits.count
            let padding = last ? (digits[index + 3] == UInt8(ascii: "=") ? (digits[index + 2] == UInt8(ascii: "=") ? 2 : 1) : 0) : 0
            var word: UInt32 = 0
            for offset in 0..<4 {
                let digit = digits[index + offset]
                if offset >= 4 - padding {
                    word <<= 6
                    continue
                }
                let value = values[Int(digit)]
                guard value != 0xFF else { return nil }
                word = word << 6 | UInt32(value)
            }
            out.append(UInt8(word >> 16 & 0xFF))
            if padding < 2 { out.append(UInt8(word >> 8 & 0xFF)) }
            if padding < 1 { out.append(UInt8(word & 0xFF)) }
            // Bits the padding drops must be zero: otherwise two texts decode alike.
            if padding == 1 && word & 0xFF != 0 { return nil }
            if padding == 2 && word & 0xFFFF != 0 { return nil }
            index += 4
        }
        return out
    }
}
