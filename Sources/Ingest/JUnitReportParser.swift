/// Reads the JUnit XML family into case outcomes, streaming.
///
/// Counting follows the family's common ground: every `<testcase>` anywhere (nested suites
/// included) is a test; a case with a direct `<failure>` child is a failure, `<error>` an
/// error, `<skipped>` a skip. Surefire's `flakyFailure`/`flakyError` and `rerunFailure`/
/// `rerunError` children are earlier attempts of the same case and become attempts of their
/// own before the case's final one. A case's key is `classname::name`, with the enclosing
/// `<testsuite name>` standing in for a missing classname.
struct JUnitReportParser {
    private let reader: XMLReader
    private let name: String

    init(reader: XMLReader, name: String) {
        self.reader = reader
        self.name = name
    }

    /// Parses the whole report, calling `sink` with every attempt in report order.
    ///
    /// - Throws: ``IngestError`` for a malformed document or one that is not a test report.
    mutating func parse(_ sink: (CaseOutcome) throws -> Void) throws -> ReportFacts {
        var facts = ReportFacts(format: .junit)
        var suites: [String] = []
        var declaredTests: Int?
        var declaredByChildSuites: Int?
        var depth = 0
        var testcase: PendingCase?
        var childDepth = 0
        var textTarget: TextTarget?
        var captured = ""
        var seenKeys = SeenKeys()

        while let token = try reader.next() {
            switch token {
            case .start(let element, let attributes):
                depth += 1
                if depth == 1 {
                    guard element == "testsuites" || element == "testsuite" else {
                        throw IngestError(.notAReport, "\(name): not a test report (root <\(element)>, expected <testsuites> or <testsuite>)")
                    }
                    declaredTests = attributes.value("tests").flatMap { Int($0) }
                } else if depth == 2, element == "testsuite", let tests = attributes.value("tests").flatMap({ Int($0) }) {
                    // A <testsuites> root without totals: its suites' own totals add up.
                    declaredByChildSuites = (declaredByChildSuites ?? 0) + tests
                }
                if var current = testcase {
                    if depth == childDepth + 1 {
                        switch element {
                        case "failure", "error", "skipped", "flakyFailure", "flakyError", "rerunFailure", "rerunError":
                            current.children.append((element, attributes.value("message")))
                            textTarget = .message(current.children.count - 1)
                            captured = ""
                            reader.keepsText = true
                            if element != "skipped" { current.output.append((current.output.isEmpty ? "" : "\n") + "--- \(element) ---\n") }
                        case "system-out", "system-err":
                            textTarget = .printed
                            reader.keepsText = true
                            current.output.append((current.output.isEmpty ? "" : "\n") + "--- \(element) ---\n")
                        case "properties":
                            break
                        default:
                            break
                        }
                    } else if element == "property", depth == childDepth + 2, let key = attributes.value("name"),
                              current.properties.count < CaseOutcome.maximumProperties {
                        current.properties[CaseOutcome.bounded(key, to: CaseOutcome.maximumPropertyLength) ?? ""] =
                            CaseOutcome.bounded(attributes.value("value"), to: CaseOutcome.maximumPropertyLength) ?? ""
                    }
                    testcase = current
                } else if element == "testsuite" {
                    suites.append(attributes.value("name") ?? "")
                } else if element == "testcase" {
                    testcase = PendingCase(
                        name: attributes.value("name") ?? "",
                        classname: attributes.value("classname").flatMap { $0.isEmpty ? nil : $0 } ?? suites.last(where: { !$0.isEmpty }) ?? "",
                        time: attributes.value("time"))
                    childDepth = depth
                } else if element == "property", testcase == nil, depth >= 2 {
                    if let key = attributes.value("name"), key == "go.version" || key == "producer" {
                        facts.producer = facts.producer ?? key
                    }
                }
            case .text(let text):
                switch textTarget {
                case .message(let index):
                    if captured.utf8.count < CaseOutcome.maximumMessageLength { captured += text }
                    if testcase!.children[index].element != "skipped" { testcase!.output.append(text) }
                case .printed:
                    testcase!.output.append(text)
                case nil:
                    break
                }
            case .end(let element):
                if let target = textTarget, depth == childDepth + 1 {
                    if case .message(let index) = target, testcase!.children[index].message?.isEmpty ?? true {
                        testcase!.children[index].message = captured.trimmingWhitespace()
                    }
                    textTarget = nil
                    reader.keepsText = false
                }
                if element == "testcase", depth == childDepth, let finished = testcase {
                    try seenKeys.insert(finished.key)
                    try finished.emit(into: &facts.counts, sink)
                    testcase = nil
                } else if element == "testsuite", testcase == nil, !suites.isEmpty {
                    suites.removeLast()
                }
                depth -= 1
            }
        }
        if let declared = declaredTests ?? declaredByChildSuites, declared != facts.counts.tests {
            facts.declaredMismatch = "the report declares tests=\(declared) but holds \(facts.counts.tests) <testcase> elements; the elements are counted"
        }
        facts.counts.duplicates += try seenKeys.duplicates()
        return facts
    }

    /// Where a text token goes: a failure-like child's message (and the case's output), or
    /// the case's output alone (system-out, system-err).
    private enum TextTarget { case message(Int), printed }
}

/// A `<testcase>` being read: its attributes and the direct children that decide its status.
private struct PendingCase {
    var name: String
    var classname: String
    var time: String?
    var children: [(element: String, message: String?)] = []
    var properties: [String: String] = [:]
    /// The failure texts and what the case printed, in document order.
    var output = EvidenceBuffer()

    var key: String { CaseOutcome.caseKey("\(classname)::\(name)") }

    func emit(into counts: inout ReportCounts, _ sink: (CaseOutcome) throws -> Void) throws {
        counts.tests += 1
        let hasFailure = children.contains { $0.element == "failure" }
        let hasError = children.contains { $0.element == "error" }
        let hasSkipped = children.contains { $0.element == "skipped" }
        if hasFailure { counts.failures += 1 }
        if hasError { counts.errors += 1 }
        if hasSkipped { counts.skipped += 1 }

        // Earlier attempts first: Surefire's flaky and rerun records.
        for child in children where child.element.hasPrefix("flaky") || child.element.hasPrefix("rerun") {
            var attempt = outcome(child.element.hasSuffix("Error") ? .error : .fail)
            attempt.message = CaseOutcome.bounded(child.message)
            attempt.durationMilliseconds = nil
            try sink(attempt)
        }
        let status: CaseOutcome.Status = hasError ? .error : hasFailure ? .fail : hasSkipped ? .skip : .pass
        var final = outcome(status)
        let decisive = status == .error ? "error" : status == .fail ? "failure" : status == .skip ? "skipped" : nil
        final.message = CaseOutcome.bounded(children.first { $0.element == decisive }?.message)
        // What a passing case printed is no evidence of anything.
        if status.isFailure { final.output = output.evidence }
        try sink(final)
    }

    private func outcome(_ status: CaseOutcome.Status) -> CaseOutcome {
        var outcome = CaseOutcome(key: key, status: status)
        outcome.durationMilliseconds = Self.milliseconds(time)
        outcome.properties = properties
        outcome.skill = properties["skill"] ?? properties["component"]
        outcome.traceID = properties["trace_id"] ?? properties["trace"]
        return outcome
    }

    /// `time="1.234"` seconds as milliseconds; nil when absent, empty, unreadable or absurd
    /// (beyond a year: no test runs that long, and a hostile value must not trap).
    static func milliseconds(_ text: String?) -> Int? {
        guard let text = text?.replacingComma(), !text.isEmpty, let seconds = Double(text), seconds.isFinite,
              seconds >= 0, seconds < 31_536_000 else { return nil }
        return Int((seconds * 1000).rounded())
    }
}

extension [XMLAttribute] {
    func value(_ name: String) -> String? {
        first { $0.name == name }?.value
    }
}

extension String {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }

    func replacingComma() -> String {
        // Most times have no comma: the split and join (a tenth of a JUnit case) only for those.
        guard utf8.contains(UInt8(ascii: ",")) else { return self }
        return split(separator: ",").joined(separator: ".")
    }
}
