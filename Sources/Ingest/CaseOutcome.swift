import Crypto
import Events

/// The result of one attempt at one case, as a report states it.
///
/// Reports can hold the same case several times (reruns, data providers, a test that fails
/// and then errors in teardown): each occurrence is its own attempt, numbered in report order,
/// never collapsed. A failure (an assertion did not hold) and an error (the harness or the
/// infrastructure broke) stay distinct.
public struct CaseOutcome: Sendable, Equatable {
    /// The catalogue's case statuses: one set of words from report to ledger.
    public typealias Status = CaseStatus

    /// The stable identity of the case within its suite (see ``CaseKey``).
    public var key: String
    /// 1 for the first occurrence of `key` in the report, 2 for the next, ...
    public var attempt: Int = 1
    public var status: Status
    /// Decimal score and threshold as text ("0.85"), when the harness gives numbers.
    public var score: String?
    public var threshold: String?
    public var durationMilliseconds: Int?
    /// The failure, error or skip message, bounded to ``maximumMessageLength`` bytes.
    public var message: String?
    public var traceID: String?
    /// The skill or component the case exercises, from its properties or the mapping file.
    public var skill: String?
    public var properties: [String: String] = [:]
    /// What the case expected and what it got, when the report says (promptfoo's failing
    /// assertion and output, inspect_ai's target and answer), and what it printed (JUnit's
    /// failure text, system-out and system-err): the evidence a diagnosis starts from.
    public var expected: Evidence?
    public var actual: Evidence?
    public var output: Evidence?

    /// A piece of evidence: at most ``maximumMessageLength`` bytes of its text, and the
    /// SHA-256 of the whole text when it was cut, to check against the report itself.
    public struct Evidence: Sendable, Equatable {
        public var text: String
        public var sha256: String?

        /// The evidence of `whole`, or nil for no text.
        public init?(_ whole: String?) {
            guard let whole, !whole.isEmpty else { return nil }
            var buffer = EvidenceBuffer()
            buffer.append(whole)
            guard let evidence = buffer.evidence else { return nil }
            self = evidence
        }

        init(text: String, sha256: String?) {
            self.text = text
            self.sha256 = sha256
        }
    }

    /// The longest message kept; longer ones are cut (and say so).
    public static let maximumMessageLength = 4096
    /// The longest case key kept: a longer one is cut and given a hash of the whole, so keys
    /// stay distinct and events stay small whatever a hostile report names its cases.
    public static let maximumKeyLength = 1024
    /// At most this many properties per case, each name and value at most this long.
    public static let maximumProperties = 64
    public static let maximumPropertyLength = 1024

    /// A report's duration in milliseconds as stored: rounded, and nil for a value no run takes
    /// (negative, not finite, a year or more).
    static func milliseconds(_ value: Double?) -> Int? {
        guard let value, value.isFinite, value >= 0, value < 31_536_000_000 else { return nil }
        return Int(value.rounded())
    }

    /// A test's name as the report gives it, or `fallback` when the report gives none or an
    /// empty one: each format keys a nameless test by something of its own (its id, its number),
    /// so that no case key is empty (the catalogue refuses one).
    ///
    /// ```swift
    /// CaseOutcome.name(test.name, or: "test \(index + 1)")
    /// ```
    static func name(_ name: String?, or fallback: @autoclosure () -> String) -> String {
        if let name, !name.isEmpty { return name }
        return fallback()
    }

    /// A case key bounded to ``maximumKeyLength`` bytes.
    static func caseKey(_ key: String) -> String {
        guard key.utf8.count > maximumKeyLength else { return key }
        var hasher = FNV1a()
        for byte in key.utf8 { hasher.combine(byte) }
        return (bounded(key, to: maximumKeyLength - 20) ?? "") + "#" + String(hasher.value, radix: 16)
    }

    public init(key: String, status: Status) {
        self.key = key
        self.status = status
    }

    /// Cuts a text to `limit` bytes at a character boundary, marking the cut.
    static func bounded(_ text: String?, to limit: Int = maximumMessageLength) -> String? {
        guard let text, !text.isEmpty else { return nil }
        guard text.utf8.count > limit else { return text }
        var cut = ""
        for character in text {
            if cut.utf8.count + character.utf8.count > limit - 3 { break }
            cut.append(character)
        }
        return cut + "..."
    }
}

/// What a report adds up to, counted by the rules of its format (see `Tests/Fixtures/reports/README.md`).
public struct ReportCounts: Sendable, Equatable {
    public var tests = 0
    public var failures = 0
    public var errors = 0
    public var skipped = 0
    /// Occurrences of a case key already seen earlier in the same report.
    public var duplicates = 0

    /// Counts one case of a format whose cases are one element each (the eval-harness logs):
    /// a test, a failure or an error by its status, and its key among those seen (the
    /// duplicates are counted at the end, ``SeenKeys/duplicates()``).
    mutating func count(_ outcome: CaseOutcome, seen: inout SeenKeys) throws {
        count(outcome)
        try seen.insert(outcome.key)
    }

    /// Counts an attempt whose key the parser knows to be unique in the report.
    mutating func count(_ outcome: CaseOutcome) {
        tests += 1
        if outcome.status == .fail { failures += 1 }
        if outcome.status == .error { errors += 1 }
        if outcome.status == .skip { skipped += 1 }
    }

    public init(tests: Int = 0, failures: Int = 0, errors: Int = 0, skipped: Int = 0, duplicates: Int = 0) {
        self.tests = tests
        self.failures = failures
        self.errors = errors
        self.skipped = skipped
        self.duplicates = duplicates
    }
}

/// What a parsed report says about itself beyond its cases.
public struct ReportFacts: Sendable, Equatable {
    public var format: ReportFormat
    public var counts = ReportCounts()
    /// The totals the file declares, when they differ from its elements (the elements win).
    public var declaredMismatch: String?
    /// The producing tool and version, when the report says.
    public var producer: String?
    public var producerVersion: String?
    /// The report lists every finding in the tree (SARIF), not only the cases it ran: a case
    /// failing before and absent from it has passed.
    public var coversWholeTree = false

    public init(format: ReportFormat) {
        self.format = format
    }
}

/// FNV-1a, 64 bits: a stable hash (Swift's `Hasher` is seeded per process).
struct FNV1a {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325
    mutating func combine(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }
}

/// Evidence read in pieces (a report's text arrives in chunks): the first
/// ``CaseOutcome/maximumMessageLength`` bytes kept and, once the text outgrows them, the
/// whole hashed, so memory stays bounded however much a case printed (and text that fits,
/// most of it, is never hashed).
struct EvidenceBuffer {
    private var kept = ""
    private var hasher: SHA256?
    private var isCut = false

    var isEmpty: Bool { kept.isEmpty }

    mutating func append(_ text: String) {
        if hasher != nil {
            hasher!.update(data: Array(text.utf8))
            return
        }
        let room = CaseOutcome.maximumMessageLength - 3 - kept.utf8.count
        if text.utf8.count <= room {
            kept += text
            return
        }
        // Too long: hash what was kept and all that follows; keep what fits.
        hasher = SHA256()
        hasher!.update(data: Array(kept.utf8))
        hasher!.update(data: Array(text.utf8))
        for character in text {
            if character.utf8.count > CaseOutcome.maximumMessageLength - 3 - kept.utf8.count { break }
            kept.append(character)
        }
        isCut = true
    }

    /// What was read, cut and hashed if it was long; nil when nothing but whitespace was read.
    var evidence: CaseOutcome.Evidence? {
        guard kept.contains(where: { !$0.isWhitespace }) else { return nil }
        guard isCut, let hasher else { return CaseOutcome.Evidence(text: kept, sha256: nil) }
        return CaseOutcome.Evidence(text: kept + "...", sha256: hasher.finalize().lowercaseHex)
    }
}
