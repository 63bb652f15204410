#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Visual Studio's TRX (`dotnet test --logger trx`, vstest, MSTest), read in two streaming
/// passes: the test definitions first (they name each test's class, and come after the
/// results), then the results.
///
/// Cases are counted from the `<UnitTestResult>` rows, never from `ResultSummary`'s counters
/// (vstest leaves several at 0); a data-driven row's inner results are its cases, the row
/// itself is not. `Passed` passes; `Failed` fails; `Error`, `Timeout` and `Aborted` are
/// errors; `NotExecuted` and `Inconclusive` are skipped. A case's key is `className::testName`
/// from `TestDefinitions` (the class prefix dropped from a test name that repeats it), the
/// test name alone when the definition is missing, `test <testId>` (or `result <n>`) when the
/// row has no test name.
struct TRXReportParser {
    private let reader: XMLReader
    private let name: String
    private let descriptor: Int32
    /// The class of each test id, from the first pass (one entry a test: kept where the caller says).
    private let classes: ReportScratch

    init(reader: XMLReader, name: String, descriptor: Int32, scratch: ReportScratch = MemoryScratch()) {
        self.reader = reader
        self.name = name
        self.descriptor = descriptor
        self.classes = scratch
    }

    /// A `<UnitTestResult>` being read.
    private struct Row {
        var testID: String
        var testName: String
        var outcome: String
        var duration: String?
        var hasInner = false
        var message = ""
        var output = EvidenceBuffer()
    }

    mutating func parse(_ sink: (CaseOutcome) throws -> Void) throws -> ReportFacts {
        try readDefinitions()
        guard lseek(descriptor, 0, SEEK_SET) == 0 else {
            throw IngestError(.unreadable, "cannot read \(name) again: \(String(cString: strerror(errno)))")
        }
        let results = try XMLReader.open(path: name, descriptor: descriptor)
        var facts = ReportFacts(format: .trx)
        facts.producer = "vstest"
        var rows: [Row] = []
        var textTarget: String?
        var seen = SeenKeys()
        var declared: Int?
        while let token = try results.next() {
            switch token {
            case .start(let element, let attributes):
                switch element {
                case "UnitTestResult":
                    if !rows.isEmpty { rows[rows.count - 1].hasInner = true }
                    rows.append(Row(testID: attributes.value("testId") ?? "", testName: attributes.value("testName") ?? "",
                                    outcome: attributes.value("outcome") ?? "", duration: attributes.value("duration")))
                case "Message", "StackTrace", "StdOut", "StdErr":
                    guard !rows.isEmpty else { break }
                    textTarget = element
                    results.keepsText = true
                    if element != "Message" { rows[rows.count - 1].output.append("--- \(element) ---\n") }
                case "Counters":
                    declared = attributes.value("total").flatMap { Int($0) }
                default:
                    break
                }
            case .text(let text):
                guard let target = textTarget, !rows.isEmpty else { break }
                if target == "Message" {
                    if rows[rows.count - 1].message.utf8.count < CaseOutcome.maximumMessageLength { rows[rows.count - 1].message += text }
                } else {
                    rows[rows.count - 1].output.append(text)
                }
            case .end(let element):
                if element == textTarget {
                    textTarget = nil
                    results.keepsText = false
                    if element != "Message", !rows.isEmpty { rows[rows.count - 1].output.append("\n") }
                }
                if element == "UnitTestResult", let row = rows.popLast(), !row.hasInner {
                    let outcome = Self.outcome(of: row, className: try classes.value(for: row.testID), number: facts.counts.tests + 1)
                    try facts.counts.count(outcome, seen: &seen)
                    try sink(outcome)
                }
            }
        }
        if let declared, declared != facts.counts.tests {
            facts.declaredMismatch = "the summary declares total=\(declared) but the file holds \(facts.counts.tests) result rows; the rows are counted"
        }
        facts.counts.duplicates += try seen.duplicates()
        return facts
    }

    /// The class of each test definition, by test id, into ``classes``: the first pass.
    private func readDefinitions() throws {
        var sawRoot = false
        var unitTest: String?
        while let token = try reader.next() {
            guard case .start(let element, let attributes) = token else { continue }
            if !sawRoot {
                guard element == "TestRun" else {
                    throw IngestError(.notAReport, "\(name): not a TRX report (root <\(element)>, expected <TestRun>)")
                }
                sawRoot = true
            }
            if element == "UnitTest" { unitTest = attributes.value("id") }
            if element == "TestMethod", let id = unitTest, let className = attributes.value("className") {
                // "Namespace.Class, Assembly, Version=..." names the class before the comma.
                try classes.set(String(className.prefix { $0 != "," }), for: id)
            }
        }
    }

    /// The outcome of result row `number` (1-based). A row without a `testName` is keyed by
    /// its `testId` (or its number): a case key is never empty.
    private static func outcome(of row: Row, className: String?, number: Int) -> CaseOutcome {
        var testName = row.testName
        if let className, testName.hasPrefix(className + "."), testName.count > className.count + 1 {
            testName = String(testName.dropFirst(className.count + 1))
        }
        testName = CaseOutcome.name(testName, or: row.testID.isEmpty ? "result \(number)" : "test \(row.testID)")
        let key = CaseOutcome.caseKey(className.map { "\($0)::\(testName)" } ?? testName)
        let status: CaseOutcome.Status
        switch row.outcome {
        case "Failed": status = .fail
        case "Error", "Timeout", "Aborted", "Disconnected": status = .error
        case "NotExecuted", "Inconclusive", "NotRunnable", "Pending", "InProgress": status = .skip
        default: status = .pass
        }
        var outcome = CaseOutcome(key: key, status: status)
        outcome.durationMilliseconds = row.duration.flatMap(Self.milliseconds)
        if status != .pass {
            outcome.message = CaseOutcome.bounded(row.message.trimmingCharacters().isEmpty ? row.outcome : row.message.trimmingCharacters())
            outcome.output = row.output.evidence
        }
        if status == .error || status == .skip { outcome.properties["outcome"] = row.outcome }
        return outcome
    }

    /// `hh:mm:ss.fffffff` as milliseconds.
    static func milliseconds(_ duration: String) -> Int? {
        let parts = duration.split(separator: ":")
        guard parts.count == 3, let hours = Int(parts[0]), let minutes = Int(parts[1]), let seconds = Double(parts[2]) else { return nil }
        let total = (Double(hours * 3600 + minutes * 60) + seconds) * 1000
        return total.isFinite && total >= 0 ? Int(total.rounded()) : nil
    }
}
