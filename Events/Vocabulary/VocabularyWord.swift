/// A word of one of the loop's closed sets (a case status, a lever, a gate decision, ...): an
/// enum whose raw values are the words stored in events and read-model tables.
///
/// Decoding a word outside the set fails with a message that names the set and lists its
/// words, so a payload with `"lever":"magic"` is refused saying what a lever may be; the CLI
/// makes each such set an argument type, so a bad value is refused while parsing.
///
/// ```swift
/// let lever = try Lever(parsing: "skill")   // .skill
/// lever.rawValue                             // "skill", as stored
/// ```
public protocol VocabularyWord: RawRepresentable, CaseIterable, Codable, Hashable, Sendable, CustomStringConvertible
where RawValue == String, AllCases: RandomAccessCollection {
    /// What a word of the set is called in messages: "lever", "case status".
    static var setName: String { get }
}

extension VocabularyWord {
    public var description: String { rawValue }

    /// The words of the set, as a reader would list them: "code, threshold or skill".
    public static var wordList: String {
        let words = allCases.map(\.rawValue)
        guard words.count > 1 else { return words.first ?? "" }
        return words.dropLast().joined(separator: ", ") + " or " + words.last!
    }

    /// The word `text` names.
    ///
    /// - Throws: ``EventError`` (`.catalogueMismatch`) naming the set and its words.
    public init(parsing text: String) throws {
        guard let word = Self(rawValue: text) else {
            throw EventError(.catalogueMismatch, "unknown \(Self.setName) '\(text)' (expected \(Self.wordList))")
        }
        self = word
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let word = Self(rawValue: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown \(Self.setName) '\(text)' (expected \(Self.wordList))")
        }
        self = word
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
