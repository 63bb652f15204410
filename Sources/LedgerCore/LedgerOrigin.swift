/// A ledger's permanent name: the first line of every checkpoint it signs (C2SP
/// `tlog-checkpoint`'s origin), and the default name of its signing key.
///
/// Given once, by `remedy init --origin NAME`, or generated when the ledger is created:
/// `remedy.ledger/` and 32 random hex digits, a schema-less URL as C2SP recommends, so two
/// ledgers never share one by accident.
///
/// ```swift
/// try LedgerOrigin.validate("ci.example.com/acme/evals")   // fine
/// try LedgerOrigin.validate("two words")                    // throws: spaces are not allowed
/// ```
public enum LedgerOrigin {
    /// The longest origin accepted, in bytes.
    public static let maximumLength = 255

    /// A new random origin.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let words = (0..<2).map { _ in generator.next() as UInt64 }
        return "remedy.ledger/" + words.map { word in
            let digits = String(word, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }

    /// Checks that `origin` can name a ledger and its key: 1 to 255 bytes of UTF-8 without
    /// spaces, control characters or `+` (signed-note key names forbid those).
    ///
    /// - Throws: ``LedgerError`` (`.invalidEvent`) saying what is wrong.
    public static func validate(_ origin: String) throws {
        guard !origin.isEmpty, origin.utf8.count <= maximumLength else {
            throw LedgerError(.invalidEvent, "an origin is 1 to \(maximumLength) bytes, not \(origin.utf8.count)")
        }
        for scalar in origin.unicodeScalars {
            if scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7F || scalar == "+" {
                throw LedgerError(.invalidEvent, "origin '\(origin)' contains \(scalar == "+" ? "'+'" : "a space or control character"); use a name like example.com/evals")
            }
        }
    }
}
