#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the summary of a stored case-outcome payload in one scan over its bytes, or gives
/// nil for anything but the plain canonical layout (an escape in a key or in a value it keeps,
/// whitespace, a number that is not a plain integer), which ``CaseOutcomeRecorded/summary(from:)``
/// then reads with the full parser (and its errors).
///
/// Every fold over the loop reads the summary of every outcome, nearly every event of a
/// ledger: with the parser that cost about 10,000 instructions an outcome (a decoded key a
/// member, a `String` through a scratch buffer a value), this scan a fraction of it. Strings
/// are crossed with `memchr`; values it does not keep are skipped as stored values are.
///
/// ```swift
/// let bytes = Array(#"{"attempt":1,"case":"golden/a","status":"pass"}"#.utf8)
/// bytes.withUnsafeBufferPointer { StoredOutcomeScanner.summary(of: $0) }
/// // Summary(case: "golden/a", attempt: 1, status: .pass, skill: nil)
/// ```
enum StoredOutcomeScanner {
    static func summary(of bytes: UnsafeBufferPointer<UInt8>) -> CaseOutcomeRecorded.Summary? {
        guard let base = bytes.baseAddress, bytes.count >= 2, bytes[0] == UInt8(ascii: "{") else { return nil }
        let end = bytes.count
        var index = 1
        var key: String?, status: CaseStatus?, attempt: Int?, skill: String?

        /// The range of the string whose opening quote is at `index` (moving past its closing
        /// quote), or nil when it holds an escape or does not end.
        func plainString() -> Range<Int>? {
            guard index < end, bytes[index] == UInt8(ascii: "\"") else { return nil }
            let start = index + 1
            guard let found = memchr(base + start, Int32(UInt8(ascii: "\"")), end - start) else { return nil }
            let close = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            guard memchr(base + start, Int32(UInt8(ascii: "\\")), close - start) == nil else { return nil }
            index = close + 1
            return start..<close
        }
        func text(_ range: Range<Int>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }
        func name(_ range: Range<Int>, is word: StaticString) -> Bool {
            range.count == word.utf8CodeUnitCount && memcmp(base + range.lowerBound, word.utf8Start, range.count) == 0
        }

        if index < end, bytes[index] == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                guard let member = plainString(), index < end, bytes[index] == UInt8(ascii: ":") else { return nil }
                index += 1
                guard index < end else { return nil }
                let isString = bytes[index] == UInt8(ascii: "\"")
                if name(member, is: "case"), isString {
                    guard let value = plainString() else { return nil }
                    key = text(value)
                } else if name(member, is: "status"), isString {
                    guard let value = plainString() else { return nil }
                    guard let word = CaseStatus(rawValue: text(value)) else { return nil }
                    status = word
                } else if name(member, is: "skill"), isString {
                    guard let value = plainString() else { return nil }
                    skill = text(value)
                } else if name(member, is: "attempt") {
                    guard let number = integer(bytes, &index) else { return nil }
                    attempt = number
                } else {
                    guard EnvelopeLayoutChecker.skipValue(bytes, &index) else { return nil }
                }
                guard index < end else { return nil }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                guard bytes[index] == UInt8(ascii: "}") else { return nil }
                index += 1
                break
            }
        }
        guard index == end, let key, let status, let attempt else { return nil }
        return CaseOutcomeRecorded.Summary(case: key, attempt: attempt, status: status, skill: skill)
    }

    /// A plain canonical integer at `index` (`0`, or digits not starting with `0`, perhaps
    /// negative, at most 15 digits: within what the parser accepts) followed by `,` or `}`; nil for anything else.
    private static func integer(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> Int? {
        var position = index
        let negative = position < bytes.count && bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        let start = position
        var value = 0
        while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
            value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
            position += 1
        }
        let digits = position - start
        guard digits > 0, digits <= 15, digits == 1 || bytes[start] != UInt8(ascii: "0"), !(negative && value == 0),
              position < bytes.count, bytes[position] == UInt8(ascii: ",") || bytes[position] == UInt8(ascii: "}") else { return nil }
        index = position
        return negative ? -value : value
    }
}
