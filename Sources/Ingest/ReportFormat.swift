import Events

/// The report formats remedy reads.
public enum ReportFormat: String, Sendable, Equatable, CaseIterable {
    /// The JUnit XML family (Ant/Jenkins, Surefire, pytest, jest-junit, gotestsum, ...).
    case junit
    /// promptfoo's `-o results.json` (results version 3).
    case promptfoo
    /// inspect_ai's JSON eval log.
    case inspect

    /// The kind of failure a format's cases are by default: tests for JUnit, evals otherwise.
    public var defaultKind: RunKind {
        self == .junit ? .test : .eval
    }

    /// Guesses the format from the first bytes of a file.
    ///
    /// XML is JUnit; a JSON object is promptfoo when it has `results` with a `version`, and
    /// inspect_ai when it has `eval` and `samples` or `version`.
    ///
    /// - Throws: ``IngestError`` (`.unsupported` or `.notAReport`) naming the file.
    public static func detect(head: [UInt8], name: String) throws -> ReportFormat {
        var bytes = head[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) { return .junit }
        guard let first = bytes.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) else {
            throw IngestError(.notAReport, "\(name): the report is empty")
        }
        if first == UInt8(ascii: "<") { return .junit }
        if first == UInt8(ascii: "{") {
            let text = String(decoding: head, as: UTF8.self)
            if text.contains("\"evalId\"") || (text.contains("\"results\"") && text.contains("\"prompts\"")) { return .promptfoo }
            if text.contains("\"eval\"") { return .inspect }
            if text.contains("\"results\"") { return .promptfoo }
            throw IngestError(.unsupported, "\(name): a JSON file that is neither a promptfoo result (-o results.json) nor an inspect_ai log; use --format")
        }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            throw IngestError(.unsupported, "\(name): a zip archive (an inspect_ai .eval log?); convert it with `inspect log convert --to json`")
        }
        throw IngestError(.unsupported, "\(name): not a format remedy reads (JUnit XML, promptfoo JSON, inspect_ai JSON)")
    }
}
