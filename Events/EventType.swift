/// The type of an event: a past-tense name for the fact it records, such as `FailureDetected`.
///
/// A type is an identifier: it starts with a letter and continues with letters, digits,
/// `.`, `_` or `-`, at most ``maximumLength`` characters. The catalogue of known types and their
/// schemas is documented in `Events/README.md`.
public struct EventType: Hashable, Sendable, CustomStringConvertible {
    /// The longest type name accepted.
    public static let maximumLength = 128

    public let rawValue: String

    /// Validates an event type name.
    ///
    /// - Throws: ``EventError`` with code `.invalidEventType`.
    public init(_ rawValue: String) throws {
        let utf8 = rawValue.utf8
        func isLetter(_ b: UInt8) -> Bool { (0x41...0x5A).contains(b) || (0x61...0x7A).contains(b) }
        func isAllowed(_ b: UInt8) -> Bool {
            isLetter(b) || (0x30...0x39).contains(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
        }
        guard let first = utf8.first, isLetter(first), utf8.count <= Self.maximumLength, utf8.allSatisfy(isAllowed) else {
            throw EventError(.invalidEventType, "invalid event type \(StreamName.quoted(rawValue)): use a letter then letters, digits, '.', '_' or '-' (at most \(Self.maximumLength)), e.g. FailureDetected")
        }
        self.rawValue = rawValue
    }

    /// The type of an event of the loop's catalogue, without checking its name again (and
    /// without a copy of it: the catalogue's names are static text).
    public init(_ known: LoopEventType) {
        rawValue = known.rawValue
    }

    public var description: String { rawValue }
}
