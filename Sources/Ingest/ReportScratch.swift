/// What a parser remembers of each case across a report (a SARIF log's occurrences of each
/// key, a TRX file's class of each test id), kept where its caller says: in memory by default
/// (``MemoryScratch``); an ingest passes one that moves to disk past a limit, so the parser's
/// memory does not grow with the report.
///
/// ```swift
/// let scratch = MemoryScratch()
/// try scratch.set("Tests.Math", for: "7c1f…")
/// try scratch.value(for: "7c1f…")   // "Tests.Math"
/// ```
public protocol ReportScratch: AnyObject {
    /// The value stored for `key`, if any.
    func value(for key: String) throws -> String?
    /// Stores `value` for `key`, replacing what was there.
    func set(_ value: String, for key: String) throws
}

/// A ``ReportScratch`` in a dictionary: for tests, tools and short reports.
public final class MemoryScratch: ReportScratch {
    private var values: [String: String] = [:]

    public init() {}

    public func value(for key: String) -> String? { values[key] }

    public func set(_ value: String, for key: String) { values[key] = value }
}
