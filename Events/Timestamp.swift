#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A UTC instant with millisecond precision, written RFC 3339 style: `2026-11-25T09:27:15.123Z`.
///
/// The ledger sets every event's `recorded_at` from this type. The text form is fixed-width,
/// so comparing two timestamps as strings compares them as instants, which is how time
/// filters query the store. See <https://www.rfc-editor.org/rfc/rfc3339#section-5.6>.
public struct Timestamp: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public let millisecondsSinceEpoch: Int64

    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// The current time of the system clock.
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(millisecondsSinceEpoch: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }

    /// Milliseconds from `earlier` to this time, 0 if it is not earlier: how ages and times to
    /// fix are measured.
    public func milliseconds(since earlier: Timestamp) -> Int {
        Int(max(0, millisecondsSinceEpoch - earlier.millisecondsSinceEpoch))
    }

    /// Milliseconds from a recorded time (RFC 3339 text) to this time; nil when it does not parse.
    public func milliseconds(since earlier: String) -> Int? {
        (try? Timestamp(parsing: earlier)).map { milliseconds(since: $0) }
    }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    /// The RFC 3339 text, always `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public var description: String {
        let ms = millisecondsSinceEpoch
        let days = ms >= 0 ? ms / 86_400_000 : (ms - 86_399_999) / 86_400_000
        let msOfDay = ms - days * 86_400_000
        let (y, m, d) = Self.civil(fromDays: days)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(msOfDay / 3_600_000, 2)):\(pad(msOfDay / 60_000 % 60, 2)):\(pad(msOfDay / 1000 % 60, 2)).\(pad(msOfDay % 1000, 3))Z"
    }

    /// Parses RFC 3339 (`2026-11-25T09:27:15Z`, with optional fraction and numeric offset) or a
    /// plain date (`2026-11-25`, meaning its midnight UTC).
    ///
    /// - Throws: ``EventError`` with code `.invalidTimestamp`.
    public init(parsing text: String) throws {
        let b = Array(text.utf8)
        let invalid = EventError(.invalidTimestamp, "invalid time \(StreamName.quoted(text)): expected RFC 3339 like 2026-11-25T09:27:15Z or a date like 2026-11-25")
        var i = 0
        func number(_ width: Int) throws -> Int64 {
            guard i + width <= b.count else { throw invalid }
            var v: Int64 = 0
            for k in i..<(i + width) {
                guard (0x30...0x39).contains(b[k]) else { throw invalid }
                v = v * 10 + Int64(b[k] - 0x30)
            }
            i += width
            return v
        }
        func literal(_ c: UInt8) throws {
            guard i < b.count, b[i] == c || (c == UInt8(ascii: "T") && (b[i] == UInt8(ascii: "t") || b[i] == 0x20)) else { throw invalid }
            i += 1
        }
        let year = try number(4); try literal(UInt8(ascii: "-"))
        let month = try number(2); try literal(UInt8(ascii: "-"))
        let day = try number(2)
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthLengths: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month), (1...monthLengths[Int(month) - 1]).contains(day) else { throw invalid }
        var ms = Self.days(year: year, month: month, day: day) * 86_400_000
        if i < b.count {
            try literal(UInt8(ascii: "T"))
            let hour = try number(2); try literal(UInt8(ascii: ":"))
            let minute = try number(2); try literal(UInt8(ascii: ":"))
            let second = try number(2)
            guard hour < 24, minute < 60, second < 60 else { throw invalid }
            ms += hour * 3_600_000 + minute * 60_000 + second * 1000
            if i < b.count, b[i] == UInt8(ascii: ".") {
                i += 1
                var scale: Int64 = 100, digits = 0
                while i < b.count, (0x30...0x39).contains(b[i]) {
                    ms += Int64(b[i] - 0x30) * scale
                    scale /= 10; i += 1; digits += 1
                }
                guard digits > 0 else { throw invalid }
            }
            guard i < b.count else { throw invalid }
            switch b[i] {
            case UInt8(ascii: "Z"), UInt8(ascii: "z"): i += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                let sign: Int64 = b[i] == UInt8(ascii: "+") ? 1 : -1
                i += 1
                let oh = try number(2); try literal(UInt8(ascii: ":"))
                let om = try number(2)
                guard oh < 24, om < 60 else { throw invalid }
                ms -= sign * (oh * 3_600_000 + om * 60_000)
            default: throw invalid
            }
            guard i == b.count else { throw invalid }
        }
        self.millisecondsSinceEpoch = ms
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date of a day count since 1970-01-01.
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
