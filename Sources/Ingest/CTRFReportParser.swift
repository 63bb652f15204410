#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Events

/// CTRF, the Common Test Report Format (JSON written by reporters for Jest, Playwright,
/// Cypress, pytest, Go, ...): one case per entry of `results.tests`.
///
/// Only `status` decides: `passed` passes, `failed` fails, `skipped`, `pending` and `other`
/// (Jest's `it.todo`) are skipped. A test retried `retries` times failed that many times
/// first: those tries are recorded as earlier attempts, so a test that passed on a retry
/// (`flaky`) is flaky in the ledger too. A case's key is `filePath::name` (`file_path`, as
/// pytest's reporter writes it), the name alone when it already starts with the path, and
/// `suite::name` without a path. `results.summary` is checked against the tests counted; a
/// disagreement is named in the ingest's output. CTRF says milliseconds; a file whose
/// `summary.start` is an epoch in seconds (pytest-json-ctrf) has its durations in seconds.
struct CTRFReportParser {
    let name: String

    /// The most earlier tries recorded for one test, however many retries it claims.
    static let maximumRetriesRecorded = 10

    /// Reads the report in two streaming passes: its tool and summary, then its tests one at
    /// a time (memory follows the largest test, not the file).
    func parse(descriptor: Int32, _ sink: (CaseOutcome) throws -> Void) throws -> ReportFacts {
        let stream = JSONPathStream(descriptor: descriptor, name: name)
        var tool: CTRFFile.Tool?, summary: CTRFFile.Summary?
        try stream.walk([[.key("results"), .key("tool")], [.key("results"), .key("summary")]]) { pattern, bytes in
            if pattern == 0 { tool = try ReportJSON.decode(CTRFFile.Tool.self, bytes, file: name, what: "CTRF report", at: "results.tool") }
            if pattern == 1 { summary = try ReportJSON.decode(CTRFFile.Summary.self, bytes, file: name, what: "CTRF report", at: "results.summary") }
        }
        var facts = ReportFacts(format: .ctrf)
        facts.producer = tool?.name
        facts.producerVersion = tool?.version
        let inSeconds = summary?.start.map { $0 > 0 && $0 < 1e11 } ?? false
        var seen = SeenKeys()
        var byStatus: [String: Int] = [:]
        var index = 0
        try stream.walk([[.key("results"), .key("tests"), .element]]) { _, bytes in
            defer { index += 1 }
            let test = try ReportJSON.decode(CTRFFile.Test.self, bytes, file: name, what: "CTRF report", at: "results.tests[\(index)]")
            guard let status = test.status else {
                throw IngestError(.malformed, "\(name): results.tests[\(index)] has no status")
            }
            byStatus[status, default: 0] += 1
            let caseStatus: CaseOutcome.Status = status == "passed" ? .pass : status == "failed" ? .fail : .skip
            let key = CaseOutcome.caseKey(Self.key(test, index: index))
            let retries = min(max(test.retries ?? 0, 0), Self.maximumRetriesRecorded)
            for attempt in 0..<retries {
                var earlier = CaseOutcome(key: key, status: .fail)
                earlier.message = "try \(attempt + 1) of \(retries + 1) failed (the report gives only the last try's details)"
                try sink(earlier)
            }
            var outcome = CaseOutcome(key: key, status: caseStatus)
            outcome.durationMilliseconds = CaseOutcome.milliseconds(test.duration.map { inSeconds ? $0 * 1000 : $0 })
            if caseStatus != .pass {
                outcome.message = CaseOutcome.bounded(ANSI.strip(test.message ?? test.trace))
                outcome.output = CaseOutcome.Evidence(ANSI.strip([test.trace, test.stdout?.text, test.stderr?.text]
                    .compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "\n")))
            }
            if let raw = test.rawStatus ?? test.raw_status, raw != status { outcome.properties["raw_status"] = CaseOutcome.bounded(raw, to: CaseOutcome.maximumPropertyLength) }
            if test.flaky == true { outcome.properties["flaky"] = "true" }
            try facts.counts.count(outcome, seen: &seen)
            try sink(outcome)
        }
        guard index > 0 || tool != nil || summary != nil else {
            throw IngestError(.malformed, "\(name): not a valid CTRF report: no results.tests")
        }
        if let summary {
            let declared: [(String, Int?)] = [("tests", summary.tests), ("passed", summary.passed), ("failed", summary.failed),
                                              ("skipped", summary.skipped), ("pending", summary.pending), ("other", summary.other)]
            let counted = ["tests": index].merging(byStatus) { $1 }
            let differences = declared.compactMap { field, value -> String? in
                guard let value, value != counted[field, default: 0] else { return nil }
                return "\(field)=\(value) (counted \(counted[field, default: 0]))"
            }
            if !differences.isEmpty {
                facts.declaredMismatch = "the summary declares " + differences.joined(separator: ", ") + "; the tests present are counted"
            }
        }
        facts.counts.duplicates += try seen.duplicates()
        return facts
    }

    /// A test's key: its name under its file or suite path; a test without a name is keyed by
    /// its number (`test 3`).
    static func key(_ test: CTRFFile.Test, index: Int) -> String {
        let name = CaseOutcome.name(test.name, or: "test \(index + 1)")
        if let path = test.filePath ?? test.file_path, !path.isEmpty {
            return name.hasPrefix(path) ? name : "\(path)::\(name)"
        }
        if let suite = test.suite?.path, !suite.isEmpty { return "\(suite)::\(name)" }
        return name
    }
}

/// ANSI terminal escapes (colours, cursor moves), which reporters leave in messages.
enum ANSI {
    /// `text` without its CSI escape sequences (`ESC [ ... final byte`).
    static func strip(_ text: String?) -> String? {
        guard let text, text.contains("\u{1B}") else { return text }
        var out = String.UnicodeScalarView()
        var scalars = text.unicodeScalars.makeIterator()
        while let scalar = scalars.next() {
            guard scalar == "\u{1B}" else { out.append(scalar); continue }
            guard let next = scalars.next() else { break }
            guard next == "[" else { continue }
            while let byte = scalars.next(), !(0x40...0x7E).contains(byte.value) {}
        }
        return String(out)
    }
}

/// The parts of a CTRF report remedy reads, each decoded on its own as the stream finds it
/// (`results.tool`, `results.summary`, each of `results.tests`).
enum CTRFFile {
    struct Tool: Decodable {
        var name: String?
        var version: String?
    }
    struct Summary: Decodable {
        var tests: Int?
        var passed: Int?
        var failed: Int?
        var skipped: Int?
        var pending: Int?
        var other: Int?
        var start: Double?
    }
    struct Test: Decodable {
        var name: String?
        var status: String?
        var duration: Double?
        var message: String?
        var trace: String?
        var rawStatus: String?
        var raw_status: String?
        var filePath: String?
        var file_path: String?
        var suite: SuitePath?
        var retries: Int?
        var flaky: Bool?
        var stdout: Text?
        var stderr: Text?
    }
}

/// A CTRF test's `suite`: a string (the spec's), or the list of its enclosing suites, outermost
/// first (pytest-json-ctrf writes `["test_bulletin.py"]`), joined with ` > `.
struct SuitePath: Decodable {
    var path: String

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let list = try? container.decode([String].self) {
            path = list.joined(separator: " > ")
        } else {
            path = try container.decode(String.self)
        }
    }
}
