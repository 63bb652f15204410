import Foundation
import Crypto
import Testing
@testable import Ingest

/// Every real report in `Fixtures/reports` parses to the counts `expected.json` gives, and every
/// hostile one in `bad/` gets what the fixtures' README says a robust ingester should do.
@Suite struct ReportFixtureTests {
    struct Expectation: Sendable, CustomTestStringConvertible {
        var file: String
        var format: String
        var counts: ReportCounts
        var duplicates: Int?
        var testDescription: String { file }
    }

    static let folder: URL = Bundle.module.url(forResource: "reports", withExtension: nil, subdirectory: "Fixtures")!

    /// The JUnit, promptfoo and inspect_ai JSON rows of `expected.json`.
    static let expectations: [Expectation] = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("expected.json"))
        let rows = try! JSONSerialization.jsonObject(with: data) as! [String: [String: Any]]
        return rows.compactMap { file, row in
            let format = row["format"] as! String
            guard ["junit", "promptfoo", "inspect_json"].contains(format) else { return nil }
            return Expectation(
                file: file, format: format,
                counts: ReportCounts(tests: row["tests"] as! Int, failures: row["failures"] as! Int,
                                     errors: row["errors"] as! Int, skipped: row["skipped"] as! Int),
                duplicates: row["duplicate_ids"] as? Int)
        }.sorted { $0.file < $1.file }
    }()

    @Test func everySupportedFixtureIsCovered() {
        #expect(Self.expectations.count == 28)
    }

    @Test(arguments: expectations)
    func fixtureCounts(_ expected: Expectation) throws {
        var outcomes: [CaseOutcome] = []
        let facts = try ReportReader.read(path: Self.folder.appendingPathComponent(expected.file).path) { outcomes.append($0) }
        var counts = facts.counts
        let duplicates = counts.duplicates
        counts.duplicates = 0
        #expect(counts == expected.counts)
        if let wanted = expected.duplicates { #expect(duplicates == wanted) }
        #expect(facts.format.rawValue == (expected.format == "inspect_json" ? "inspect" : expected.format))
        // Every testcase element yields at least one attempt; statuses agree with the counts.
        #expect(outcomes.count >= expected.counts.tests)
        #expect(outcomes.allSatisfy { !$0.key.isEmpty })
    }

    @Test func fixturesThatDeclareOtherTotalsAreFlagged() throws {
        let facts = try ReportReader.read(path: Self.folder.appendingPathComponent("nunit-to-junit-teamcity-2009.xml").path) { _ in }
        #expect(facts.counts.tests == 5)
        #expect(facts.declaredMismatch?.contains("declares tests=11") == true)
    }

    @Test func statusesAndAttemptsOfAPytestReport() throws {
        var outcomes: [CaseOutcome] = []
        _ = try ReportReader.read(path: Self.folder.appendingPathComponent("gen-pytest-9.2.0-xunit2-dateutil.xml").path) { outcomes.append($0) }
        let byStatus = Dictionary(grouping: outcomes, by: \.status).mapValues(\.count)
        #expect(byStatus[.error] == 3)
        #expect(outcomes.contains { $0.key.contains("emoji-🧪-ok") })
        let failing = try #require(outcomes.first { $0.status == .fail })
        #expect(failing.message != nil)
        #expect(outcomes.allSatisfy { ($0.message?.utf8.count ?? 0) <= CaseOutcome.maximumMessageLength })
    }

    /// The evidence a diagnosis starts from: what the case expected, got and printed.
    @Test func evidenceFromEachFormat() throws {
        var promptfoo: [CaseOutcome] = []
        _ = try ReportReader.read(path: Self.folder.appendingPathComponent("promptfoo-v3-1fail.json").path) { promptfoo.append($0) }
        let failing = try #require(promptfoo.first { $0.status == .fail })
        #expect(failing.expected?.text == #"regex: \b56\b"#)
        #expect(failing.actual?.text == "64")
        #expect(promptfoo.first { $0.status == .pass }?.expected == nil)

        var inspect: [CaseOutcome] = []
        _ = try ReportReader.read(path: Self.folder.appendingPathComponent("inspect-ai-0.3.95-model-graded-security-guide.json").path) { inspect.append($0) }
        #expect(inspect.first?.expected?.text == "use parameterized queries and prepared statements")
        #expect(inspect.first?.actual?.text.hasPrefix("Use parameterized queries") == true)

        // JUnit: the failure's text and what the case printed, in order; a long output is cut
        // to 4 KiB and carries the SHA-256 of the whole.
        let printed = String(repeating: "line of output\n", count: 1_000)
        let path = NSTemporaryDirectory() + "remedy-evidence-\(UUID().uuidString).xml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
        <testsuite name="s" tests="2">
          <testcase classname="a" name="short"><failure message="expected 56">AssertionError: 54 != 56</failure><system-out>hello</system-out></testcase>
          <testcase classname="a" name="long"><failure message="m"/><system-err>\(printed)</system-err></testcase>
        </testsuite>
        """.write(toFile: path, atomically: true, encoding: .utf8)
        var junit: [CaseOutcome] = []
        _ = try ReportReader.read(path: path) { junit.append($0) }
        #expect(junit[0].message == "expected 56")
        #expect(junit[0].output == CaseOutcome.Evidence(text: "--- failure ---\nAssertionError: 54 != 56\n--- system-out ---\nhello", sha256: nil))
        let long = try #require(junit[1].output)
        #expect(long.text.utf8.count <= CaseOutcome.maximumMessageLength && long.text.hasSuffix("..."))
        let whole = "--- failure ---\n\n--- system-err ---\n" + printed
        #expect(long.sha256 == SHA256.hash(data: Array(whole.utf8)).map { String(format: "%02x", $0) }.joined())
    }

    struct BadFile: Sendable, CustomTestStringConvertible {
        var file: String
        var code: IngestError.Code?
        var fragment: String
        var counts: ReportCounts?
        var testDescription: String { file }
    }

    static let badFiles: [BadFile] = [
        BadFile(file: "real-broken-xml-decl-no-root-cel-go.xml", code: .malformed, fragment: "line 1: the XML declaration is not well-formed"),
        BadFile(file: "real-mocha-spec-output-named-test.tap", code: .unsupported, fragment: "not a format remedy reads"),
        BadFile(file: "real-phpunit-config-not-a-report.xml", code: .notAReport, fragment: "not a test report (root <phpunit>"),
        BadFile(file: "truncated-mid-failure-pytest-conflowgen.xml", code: .malformed, fragment: "truncated"),
        BadFile(file: "truncated-promptfoo-v3.json", code: .malformed, fragment: "not a valid promptfoo result file"),
        BadFile(file: "invalid-mismatched-end-tag-jest.xml", code: .malformed, fragment: "line 5: mismatched tag: </testcas> closes <testcase>"),
        BadFile(file: "invalid-bare-ampersand-lt-in-attr-karma.xml", code: .malformed, fragment: "'<' inside an attribute value"),
        BadFile(file: "invalid-raw-esc-control-chars-in-cdata-karma.xml", code: .malformed, fragment: "control character 0x1B"),
        BadFile(file: "invalid-two-documents-concatenated.xml", code: .malformed, fragment: "second XML declaration"),
        BadFile(file: "encoding-declared-utf8-bytes-latin1-pytest.xml", code: .malformed, fragment: "line 7: invalid UTF-8"),
        BadFile(file: "encoding-declared-latin1-bytes-utf8-gradle-korean.xml", code: nil, fragment: "", counts: ReportCounts(tests: 2, failures: 2)),
        BadFile(file: "encoding-utf16le-bom-valid-karma.xml", code: nil, fragment: "", counts: ReportCounts(tests: 10)),
        BadFile(file: "empty.xml", code: .notAReport, fragment: "the report is empty"),
        BadFile(file: "xml-bomb-billion-laughs.xml", code: .malformed, fragment: "DOCTYPE (DTD) is not accepted"),
        BadFile(file: "xxe-external-entity-file-read.xml", code: .malformed, fragment: "DOCTYPE (DTD) is not accepted"),
        BadFile(file: "deeply-nested-100k-testsuites.xml", code: nil, fragment: "", counts: ReportCounts(tests: 1)),
    ]

    @Test func everyBadFileIsCovered() throws {
        let present = try FileManager.default.contentsOfDirectory(atPath: Self.folder.appendingPathComponent("bad").path)
        #expect(Set(present) == Set(Self.badFiles.map(\.file)))
    }

    @Test(arguments: badFiles)
    func badFile(_ bad: BadFile) throws {
        let path = Self.folder.appendingPathComponent("bad").appendingPathComponent(bad.file).path
        var delivered = 0
        if let code = bad.code {
            let error = #expect(throws: IngestError.self) {
                _ = try ReportReader.read(path: path) { _ in delivered += 1 }
            }
            #expect(error?.code == code)
            #expect(error?.message.contains(bad.fragment) == true, "\(error?.message ?? "")")
            #expect(error?.message.hasPrefix(path) == true, "the error names the file")
            #expect(error?.message.contains("\n") == false)
        } else {
            let facts = try ReportReader.read(path: path) { _ in delivered += 1 }
            var counts = facts.counts
            counts.duplicates = 0
            #expect(counts == bad.counts)
        }
    }
}
