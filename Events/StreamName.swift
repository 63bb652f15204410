/// The name of an event stream, `category-id` (for example `fix-42` or `run-2026-11-25.3`).
///
/// The category is everything before the first `-`; both parts must be non-empty. Names are
/// printable: no whitespace, no control characters, at most ``maximumLength`` UTF-8 bytes, so
/// that they read well in a terminal and are safe in file names and URLs after escaping.
public struct StreamName: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The longest stream name accepted, in UTF-8 bytes.
    public static let maximumLength = 200

    /// The whole name, `category-id`.
    public let rawValue: String

    /// Validates a stream name.
    ///
    /// - Throws: ``EventError`` with code `.invalidStreamName`, saying what is wrong.
    public init(_ rawValue: String) throws {
        let utf8 = rawValue.utf8
        func invalid(_ why: String) -> EventError {
            EventError(.invalidStreamName, "invalid stream name \(Self.quoted(rawValue)): \(why) (streams are category-id, e.g. fix-42)")
        }
        guard !utf8.isEmpty else { throw invalid("it is empty") }
        guard utf8.count <= Self.maximumLength else { throw invalid("it is longer than \(Self.maximumLength) bytes") }
        if utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            // Printable ASCII, the common case: nothing more to check.
        } else {
            for scalar in rawValue.unicodeScalars {
                if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) { throw invalid("it contains a control character") }
                if scalar.properties.isWhitespace { throw invalid("it contains whitespace") }
            }
        }
        guard let dash = utf8.firstIndex(of: UInt8(ascii: "-")) else { throw invalid("it has no '-' between category and id") }
        guard dash != utf8.startIndex else { throw invalid("the category before '-' is empty") }
        guard utf8.index(after: dash) != utf8.endIndex else { throw invalid("the id after '-' is empty") }
        self.rawValue = rawValue
    }

    /// The part before the first `-`: `fix` in `fix-42`.
    public var category: String {
        let utf8 = rawValue.utf8
        return String(decoding: utf8[..<utf8.firstIndex(of: UInt8(ascii: "-"))!], as: UTF8.self)
    }

    public var description: String { rawValue }

    public static func < (lhs: StreamName, rhs: StreamName) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Validates a category name on its own (as `--category` takes it).
    ///
    /// - Throws: ``EventError`` with code `.invalidStreamName`.
    public static func validateCategory(_ category: String) throws {
        _ = try StreamName(category + "-x")
        if category.contains("-") {
            throw EventError(.invalidStreamName, "invalid category \(quoted(category)): a category has no '-'")
        }
    }

    /// Quotes a user-supplied string for an error message, escaping what would break the line.
    static func quoted(_ value: String) -> String {
        var out = "'"
        for scalar in value.unicodeScalars.prefix(80) {
            out += scalar.value < 0x20 || scalar.value == 0x7F ? scalar.escaped(asASCII: true) : String(scalar)
        }
        return out + (value.unicodeScalars.count > 80 ? "...'" : "'")
    }
}
