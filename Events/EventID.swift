/// An event's identity: a UUID in lowercase canonical text, unique across the whole ledger.
///
/// Callers may supply their own (so a retried CI step re-sends the same id and the ledger
/// recognizes it); otherwise the ledger generates a UUIDv7 (RFC 9562 §5.7), whose time-ordered
/// prefix keeps the unique index on ids append-friendly.
public struct EventID: Hashable, Sendable, CustomStringConvertible {
    /// The canonical text: 36 lowercase characters, `8-4-4-4-12` hex digits.
    public let rawValue: String

    /// Parses a UUID in any letter case and normalizes it to lowercase.
    ///
    /// - Throws: ``EventError`` with code `.invalidEventID`.
    public init(_ text: String) throws {
        let utf8 = Array(text.utf8)
        var normalized = [UInt8]()
        normalized.reserveCapacity(36)
        var valid = utf8.count == 36
        if valid {
            for (i, byte) in utf8.enumerated() {
                if i == 8 || i == 13 || i == 18 || i == 23 {
                    if byte != UInt8(ascii: "-") { valid = false; break }
                    normalized.append(byte)
                } else if (0x30...0x39).contains(byte) || (0x61...0x66).contains(byte) {
                    normalized.append(byte)
                } else if (0x41...0x46).contains(byte) {
                    normalized.append(byte + 0x20)
                } else {
                    valid = false; break
                }
            }
        }
        guard valid else {
            throw EventError(.invalidEventID, "invalid event id \(StreamName.quoted(text)): expected a UUID like 0192f5e4-7c1a-7cc3-9a57-2f4e1d0b8a11")
        }
        self.rawValue = String(decoding: normalized, as: UTF8.self)
    }

    /// Wraps text already known to be a lowercase UUID (the generator's own output).
    init(uncheckedLowercase text: String) { rawValue = text }

    public var description: String { rawValue }
}

/// Generates UUIDv7 event ids: 48 bits of Unix milliseconds, then a counter and randomness.
///
/// Ids from one generator are strictly increasing, even within one millisecond, so a batch of
/// generated ids inserts at the right edge of the id index.
public struct EventIDGenerator: Sendable {
    private var lastMillis: UInt64 = 0
    private var counter: UInt64 = 0
    private var random: Xoshiro256StarStar

    /// Seeds the generator's randomness once from the system's CSPRNG; after that, ids cost
    /// no system call.
    public init() {
        var system = SystemRandomNumberGenerator()
        random = Xoshiro256StarStar(seed: (system.next(), system.next(), system.next(), system.next()))
    }

    /// The next id, using `millis` (Unix time in milliseconds) as its time prefix.
    public mutating func next(millis: Int64) -> EventID {
        var ms = UInt64(max(0, millis))
        if ms <= lastMillis {
            ms = lastMillis
            counter += 1
            if counter > 0xFFF { // counter exhausted: borrow the next millisecond
                lastMillis += 1
                ms = lastMillis
                counter = random.next() & 0x3FF
            }
        } else {
            lastMillis = ms
            counter = random.next() & 0x3FF // leave room to count up within the millisecond
        }
        let high = (ms << 16) | 0x7000 | counter
        let low = (random.next() & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        var bytes = [UInt8]()
        bytes.reserveCapacity(36)
        func hex(_ value: UInt64, digits: Int) {
            for shift in stride(from: (digits - 1) * 4, through: 0, by: -4) {
                bytes.append(CanonicalJSON.hexDigit(UInt8((value >> UInt64(shift)) & 0xF)))
            }
        }
        hex(high >> 32, digits: 8); bytes.append(UInt8(ascii: "-"))
        hex((high >> 16) & 0xFFFF, digits: 4); bytes.append(UInt8(ascii: "-"))
        hex(high & 0xFFFF, digits: 4); bytes.append(UInt8(ascii: "-"))
        hex(low >> 48, digits: 4); bytes.append(UInt8(ascii: "-"))
        hex(low & 0xFFFF_FFFF_FFFF, digits: 12)
        return EventID(uncheckedLowercase: String(decoding: bytes, as: UTF8.self))
    }
}

/// xoshiro256** (Blackman and Vigna): a fast generator for the random bits of ids, seeded
/// from the system CSPRNG. See <https://prng.di.unimi.it>.
struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    init(seed: (UInt64, UInt64, UInt64, UInt64)) {
        s = seed == (0, 0, 0, 0) ? (1, 2, 3, 4) : seed
    }

    mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = s.3 << 45 | s.3 >> 19
        return result
    }
}
