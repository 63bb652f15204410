import Events

/// The report formats remedy reads (`remedy ingest --format`), told apart by content.
public enum ReportFormat: String, Sendable, Equatable, CaseIterable {
    /// The JUnit XML family (Ant/Jenkins, Surefire, pytest, jest-junit, gotestsum, ...).
    case junit
    /// promptfoo's `-o results.json` (results version 3).
    case promptfoo
    /// inspect_ai's eval log: the JSON form, or the `.eval` ZIP.
    case inspect
    /// TAP 12 to 14 (the Test Anything Protocol).
    case tap
    /// Visual Studio's TRX (`dotnet test --logger trx`).
    case trx
    /// SARIF 2.1.0: linters, type checkers and scanners.
    case sarif
    /// CTRF, the Common Test Report Format (JSON).
    case ctrf
    /// `go test -json` (test2json events, a JSON object a line).
    case goTestJSON = "go-test-json"

    /// The kind of failure a format's cases are by default: evals for the eval harnesses,
    /// lint for SARIF (``kind(head:)`` tells type checkers apart), tests otherwise.
    public var defaultKind: RunKind {
        switch self {
        case .promptfoo, .inspect: .eval
        case .sarif: .lint
        case .junit, .tap, .trx, .ctrf, .goTestJSON: .test
        }
    }

    /// The kind of a report's cases from its first bytes: for SARIF, `type` when the tool is a
    /// type checker (mypy, pyright, tsc, ...), else ``defaultKind``.
    public func kind(head: [UInt8]) -> RunKind {
        guard self == .sarif else { return defaultKind }
        let text = String(decoding: head, as: UTF8.self)
        guard let driver = text.firstRange(of: "\"driver\""),
              let name = text[driver.upperBound...].firstMatch(of: #/"name"\s*:\s*"([^"]*)"/#) else { return .lint }
        return SARIFReportParser.kind(tool: String(name.1))
    }

    /// The names `--format` takes, for messages.
    public static let names = allCases.map(\.rawValue).joined(separator: ", ")

    /// Guesses the format from the first bytes of a file (a few KiB), never from its name.
    ///
    /// XML is TRX when its root is `<TestRun`, else JUnit; a ZIP is an inspect_ai `.eval`
    /// log; a JSON object is SARIF (`"runs"` with a SARIF `$schema` or `version`), CTRF
    /// (`results` with `tests` and `summary`, or `"reportFormat":"CTRF"`), promptfoo
    /// (`results` with `prompts`, `evalId` or a version) or inspect_ai (`eval`); JSON lines
    /// with an `Action` are `go test -json` (also after a plain-text `FAIL <package> [build
    /// failed]` line, as Go before 1.24 writes one first); text with TAP lines (`TAP version`, a plan,
    /// `ok`/`not ok`) is TAP.
    ///
    /// - Throws: ``IngestError`` (`.unsupported` or `.notAReport`) naming the file.
    public static func detect(head: [UInt8], name: String) throws -> ReportFormat {
        var bytes = head[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) { return .junit }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return .inspect }
        guard let first = bytes.first(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }) else {
            throw IngestError(.notAReport, "\(name): the report is empty")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if first == UInt8(ascii: "<") {
            return text.contains(#/<TestRun[\s>]/#) ? .trx : .junit
        }
        if first == UInt8(ascii: "{") {
            if GoTestReportParser.looksLikeEvents(text) { return .goTestJSON }
            if text.contains("\"runs\"") && (text.lowercased().contains("sarif") || text.contains("\"2.1.0\"")) { return .sarif }
            if text.contains(#/"reportFormat"\s*:\s*"CTRF"/#) { return .ctrf }
            if text.contains("\"evalId\"") || (text.contains("\"results\"") && text.contains("\"prompts\"")) { return .promptfoo }
            if text.contains("\"eval\"") { return .inspect }
            if text.contains("\"results\"") && text.contains("\"tests\"") && text.contains("\"summary\"") { return .ctrf }
            if text.contains("\"results\"") { return .promptfoo }
            throw IngestError(.unsupported, "\(name): a JSON file remedy cannot tell the format of (SARIF, CTRF, promptfoo, inspect_ai, go test -json); use --format")
        }
        if GoTestReportParser.looksLikeEvents(text) { return .goTestJSON }
        if TAPReportParser.looksLikeTAP(text) { return .tap }
        throw IngestError(.unsupported, "\(name): not a format remedy reads (JUnit XML, TRX, TAP, SARIF, CTRF, go test -json, promptfoo JSON, inspect_ai); "
                          + "if it is TAP, no TAP plan or test points were found in its first lines")
    }
}
