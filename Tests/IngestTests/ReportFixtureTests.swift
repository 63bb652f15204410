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

    /// Files `expected.json` counts that are not read as they are: a TRX that is not
    /// well-formed XML (its counts hold once its two bad character references are replaced).
    static let refused = ["mstest-vs2015-nodejstools.trx"]

    /// The rows of `expected.json` of the formats remedy reads, but for ``refused``.
    static let expectations: [Expectation] = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("expected.json"))
        let rows = try! JSONSerialization.jsonObject(with: data) as! [String: [String: Any]]
        return rows.compactMap { file, row in
            let format = row["format"] as! String
            guard !refused.contains(file) else { return nil }
            return Expectation(
                file: file, format: format,
                counts: ReportCounts(tests: row["tests"] as! Int, failures: row["failures"] as! Int,
                                     errors: row["errors"] as! Int, skipped: row["skipped"] as! Int),
                duplicates: row["duplicate_ids"] as? Int)
        }.sorted { $0.file < $1.file }
    }()

    @Test func everySupportedFixtureIsCovered() {
        #expect(Self.expectations.count == 44)
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
        let formats = ["inspect_json": ReportFormat.inspect, "inspect_eval": .inspect, "go_test_json": .goTestJSON]
        #expect(facts.format == formats[expected.format] ?? ReportFormat(rawValue: expected.format))
        // Every testcase element yields at least one attempt; statuses agree with the counts.
        #expect(outcomes.count >= expected.counts.tests)
        #expect(outcomes.allSatisfy { !$0.key.isEmpty })
    }

    /// A TRX with character references XML 1.0 forbids is refused with its line; the same
    /// file with them replaced counts as `expected.json` says.
    @Test func aTRXThatIsNotWellFormedIsRefusedAndCountsOnceRepaired() throws {
        let path = Self.folder.appendingPathComponent("mstest-vs2015-nodejstools.trx").path
        let error = #expect(throws: IngestError.self) { _ = try ReportReader.read(path: path) { _ in } }
        #expect(error?.message.hasPrefix(path + ": line ") == true, "\(error?.message ?? "")")
        let repaired = NSTemporaryDirectory() + "remedy-trx-\(UUID().uuidString).trx"
        defer { try? FileManager.default.removeItem(atPath: repaired) }
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "&#x1B;", with: "?")
        try text.write(toFile: repaired, atomically: true, encoding: .utf8)
        var outcomes: [CaseOutcome] = []
        let facts = try ReportReader.read(path: repaired) { outcomes.append($0) }
        #expect(facts.format == .trx)
        #expect(facts.counts == ReportCounts(tests: 1278, failures: 313, errors: 0, skipped: 4, duplicates: facts.counts.duplicates))
        let failing = try #require(outcomes.first { $0.status == .fail })
        #expect(failing.key.contains("::") && failing.message != nil && failing.output != nil)
    }

    static let evalFolder: URL = Bundle.module.url(forResource: "eval", withExtension: nil, subdirectory: "Fixtures")!

    /// The `.eval` ZIP and the JSON form of the same log (written from it by
    /// `Tools/fixtures/make-eval-fixtures.py` with Python's zipfile) give the same cases.
    @Test func theEvalZipAndItsJSONFormAgree() throws {
        var zipped: [CaseOutcome] = [], json: [CaseOutcome] = []
        let zipFacts = try ReportReader.read(path: Self.folder.appendingPathComponent("inspect-ai-0.3.58-popularity.eval").path) { zipped.append($0) }
        let jsonFacts = try ReportReader.read(path: Self.evalFolder.appendingPathComponent("inspect-ai-0.3.58-popularity.json").path) { json.append($0) }
        #expect(zipFacts.format == .inspect && jsonFacts.format == .inspect)
        #expect(zipFacts.counts == jsonFacts.counts)
        #expect(zipped.count == 10)
        #expect(zipped.map(\.key) == json.map(\.key))
        #expect(zipped == json)
        #expect(zipped.first?.key == "popularity/1" && zipped.first?.expected?.text != nil)
    }

    /// Small members inflate in one call, large ones 64 KiB at a time: both read every member
    /// of a real log alike, and both refuse a bomb.
    @Test func bothInflatePathsReadAlike() throws {
        func members(_ path: String, oneCallBelow limit: Int) throws -> [[UInt8]] {
            let descriptor = open(path, O_RDONLY)
            defer { close(descriptor) }
            var limits = ZipArchive.Limits()
            limits.inflatedInOneCall = limit
            let archive = try ZipArchive(descriptor: descriptor, name: path, limits: limits)
            return try archive.members.map { try archive.contents(of: $0) }
        }
        let log = Self.folder.appendingPathComponent("inspect-ai-0.3.58-popularity.eval").path
        let inOneCall = try members(log, oneCallBelow: 1 << 20), inChunks = try members(log, oneCallBelow: 0)
        #expect(inOneCall.count > 10 && inOneCall == inChunks)
        let bomb = Self.evalFolder.appendingPathComponent("bad-deflate-bomb.eval").path
        for limit in [0, 1 << 20] {
            let error = #expect(throws: IngestError.self) { _ = try members(bomb, oneCallBelow: limit) }
            #expect(error?.message.contains("refused as a deflate bomb") == true, "\(error?.message ?? "")")
        }
    }

    /// An archive whose end record points at a ZIP64 end record is read through it.
    @Test func aZIP64EndRecordIsFollowed() throws {
        var outcomes: [CaseOutcome] = []
        let facts = try ReportReader.read(path: Self.evalFolder.appendingPathComponent("zip64-end-record.eval").path) { outcomes.append($0) }
        #expect(facts.counts.tests == 1 && outcomes.first?.key.hasPrefix("popularity/") == true)
    }

    /// TRX data-driven tests: the inner results are the cases, the row that holds them is not.
    @Test func trxDataDrivenRowsCountTheirInnerResults() throws {
        let path = NSTemporaryDirectory() + "remedy-trx-\(UUID().uuidString).trx"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
        <?xml version="1.0" encoding="UTF-8"?>
        <TestRun id="1" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
          <Results>
            <UnitTestResult testId="t1" testName="Forecast.Parses" outcome="Passed" duration="00:00:00.0150000"/>
            <UnitTestResult testId="t2" testName="Forecast.Levels" outcome="Failed" resultType="DataDrivenTest">
              <InnerResults>
                <UnitTestResult testId="t2" testName="Forecast.Levels (1)" outcome="Passed" resultType="DataDrivenDataRow"/>
                <UnitTestResult testId="t2" testName="Forecast.Levels (5)" outcome="Failed" resultType="DataDrivenDataRow">
                  <Output><ErrorInfo><Message>expected 5, got 4</Message><StackTrace>at Forecast.Levels()</StackTrace></ErrorInfo></Output>
                </UnitTestResult>
              </InnerResults>
            </UnitTestResult>
            <UnitTestResult testId="t3" testName="Forecast.Slow" outcome="Timeout"/>
            <UnitTestResult testId="t4" testName="Forecast.Later" outcome="NotExecuted"/>
          </Results>
          <TestDefinitions>
            <UnitTest id="t1"><TestMethod className="Forecast, Tests, Version=1.0" name="Parses"/></UnitTest>
            <UnitTest id="t2"><TestMethod className="Forecast" name="Levels"/></UnitTest>
          </TestDefinitions>
          <ResultSummary outcome="Failed"><Counters total="4" executed="3" passed="1" failed="1" error="0" timeout="0" notExecuted="0"/></ResultSummary>
        </TestRun>
        """.write(toFile: path, atomically: true, encoding: .utf8)
        var outcomes: [CaseOutcome] = []
        let facts = try ReportReader.read(path: path) { outcomes.append($0) }
        #expect(facts.format == .trx)
        #expect(facts.counts == ReportCounts(tests: 5, failures: 1, errors: 1, skipped: 1))
        #expect(outcomes.map(\.key) == ["Forecast::Parses", "Forecast::Levels (1)", "Forecast::Levels (5)", "Forecast.Slow", "Forecast.Later"])
        #expect(outcomes[2].message == "expected 5, got 4" && outcomes[2].output?.text.contains("at Forecast.Levels()") == true)
        #expect(outcomes[0].durationMilliseconds == 15)
        #expect(facts.declaredMismatch == "the summary declares total=4 but the file holds 5 result rows; the rows are counted")
    }

    /// An input the fuzzer found (a real xunit TRX with a result row's attributes cut short):
    /// the row without a `testName` is keyed by its `testId`, never by an empty key.
    @Test func aTRXResultWithoutATestNameIsKeyedByItsTestID() throws {
        let path = Bundle.module.url(forResource: "fuzz", withExtension: nil, subdirectory: "Fixtures")!
            .appendingPathComponent("trx-result-without-test-name.trx").path
        var outcomes: [CaseOutcome] = []
        let facts = try ReportReader.read(path: path) { outcomes.append($0) }
        #expect(facts.format == .trx)
        #expect(outcomes.count == 2)
        #expect(outcomes.allSatisfy { !$0.key.isEmpty })
        #expect(outcomes.map(\.key).contains("XunitIssueRepro::TestClass.Fact_TestClassNotDisplayedCorrectly"))
        #expect(outcomes.contains { $0.key.hasPrefix("test 86f0a63a-b89c-d4a8-fe55") })
    }

    /// Bare `NaN` scores (inspect writes them) read as no score.
    @Test func nonFiniteScoresReadAsUnscored() throws {
        #expect(NonFiniteNumbers.nulled(Array(#"{"a": NaN, "b": "NaN", "c": [-Infinity, Infinity]}"#.utf8))
                == Array(#"{"a": null, "b": "NaN", "c": [null, null]}"#.utf8))
    }

    @Test(arguments: [
        ("bad-dotdot-name.eval", "leaves the archive's folder"),
        ("bad-truncated-directory.eval", "without its end of central directory record"),
        ("bad-overlapping-members.eval", "overlap: refused"),
        ("bad-local-header-overlap.eval", "samples/1_epoch_1.json: its data and the next member's local header overlap: refused"),
        ("bad-claims-4gib.eval", "claims 4294967294 bytes inflated"),
        ("bad-deflate-bomb.eval", "inflates beyond its declared 100000 bytes: refused as a deflate bomb"),
        ("bad-compressed-beyond-claim.eval", "compressed bytes for 1000 inflated: refused"),
    ])
    func hostileEvalArchivesAreRefused(_ file: String, _ fragment: String) throws {
        let path = Self.evalFolder.appendingPathComponent(file).path
        var delivered = 0
        let error = #expect(throws: IngestError.self) { _ = try ReportReader.read(path: path) { _ in delivered += 1 } }
        #expect(error?.message.hasPrefix(path) == true && error?.message.contains(fragment) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("\n") == false)
    }

    /// SARIF: levels from the result, else the rule (found by id, in an extension when the
    /// result names one), suppressions skip; keys hold the rule and the path, not the line.
    @Test func sarifResultsResolveTheirRulesAndLevels() throws {
        var codeql: [CaseOutcome] = []
        let facts = try ReportReader.read(path: Self.folder.appendingPathComponent("codeql-2.12.2-javascript-rules-in-extensions.sarif").path) { codeql.append($0) }
        #expect(facts.coversWholeTree)
        #expect(facts.producer == "CodeQL")
        #expect(Dictionary(grouping: codeql, by: { $0.properties["level"]! }).mapValues(\.count) == ["error": 1, "warning": 4])
        #expect(Set(codeql.map(\.key)).count == 5, "two results on one line are two cases")
        #expect(codeql.allSatisfy { $0.key.hasPrefix("src/") && $0.key.contains("::js/") && $0.message != nil })
        var trivy: [CaseOutcome] = []
        _ = try ReportReader.read(path: Self.folder.appendingPathComponent("trivy-0.15.0-error-warning-note.sarif").path) { trivy.append($0) }
        #expect(Dictionary(grouping: trivy, by: { $0.properties["level"]! }).mapValues(\.count) == ["error": 64, "warning": 46, "note": 14])
        #expect(ReportFormat.sarif.kind(head: Array(#"{"runs":[{"tool":{"driver":{"name":"mypy"}}}]}"#.utf8)) == .type)
        #expect(ReportFormat.sarif.kind(head: Array(#"{"runs":[{"tool":{"driver":{"name":"ESLint"}}}]}"#.utf8)) == .lint)
    }

    /// CTRF: a retried test's failed tries come first, so a test that passed on a retry is flaky.
    @Test func ctrfRetriesAreEarlierAttempts() throws {
        var outcomes: [CaseOutcome] = []
        let facts = try ReportReader.read(path: Self.folder.appendingPathComponent("cypress-ctrf-0.0.12-flaky-retries.json").path) { outcomes.append($0) }
        #expect(facts.declaredMismatch == nil)
        #expect(outcomes.filter { $0.properties["flaky"] == "true" }.count == 3)
        #expect(outcomes.count == 338 + 3 + 2, "4 tests retried: 3 once, 1 twice")
        var pytest: [CaseOutcome] = []
        _ = try ReportReader.read(path: Self.folder.appendingPathComponent("pytest-9.0.1-json-ctrf-float-seconds.json").path) { pytest.append($0) }
        #expect(pytest.first?.durationMilliseconds == 372, "float seconds read as seconds")
        #expect(pytest.first?.key == "tests/test_pet.py::TestCreatePet::test_create_pet_with_all_fields")
        var playwright: [CaseOutcome] = []
        _ = try ReportReader.read(path: Self.folder.appendingPathComponent("playwright-ctrf-0.0.23-timedout-ansi.json").path) { playwright.append($0) }
        #expect(playwright.compactMap(\.message).allSatisfy { !$0.contains("\u{1B}") }, "ANSI escapes are stripped")
        #expect(playwright.first?.message == "Test timeout of 30000ms exceeded.")
    }

    /// CTRF: a test without a name, or with an empty one, is keyed by its number, never by an
    /// empty key.
    @Test func aCTRFTestWithoutANameIsKeyedByItsNumber() throws {
        let path = NSTemporaryDirectory() + "remedy-ctrf-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #"{"results":{"tool":{"name":"x"},"summary":{"tests":3,"passed":2,"failed":1},"tests":[{"name":"","status":"passed"},{"status":"failed"},{"name":"b","status":"passed"}]}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        var outcomes: [CaseOutcome] = []
        let facts = try ReportReader.read(path: path) { outcomes.append($0) }
        #expect(facts.format == .ctrf)
        #expect(outcomes.map(\.key) == ["test 1", "test 2", "b"])
    }

    /// TAP: YAML diagnostics, TODO and SKIP directives, nested subtests, plans and bail-outs.
    @Test func tapDirectivesSubtestsAndBailOut() throws {
        let path = NSTemporaryDirectory() + "remedy-tap-\(UUID().uuidString).tap"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try """
        TAP version 14
        1..4
        ok 1 - adds
        not ok 2 - divides
          ---
          message: 'expected 2, got 3'
          expected: 2
          actual: 3
          at: math.test.js:12:5
          ...
        not ok 3 - parses dates # TODO not written yet
        # Subtest: formats
            ok 1 - short # SKIP no locale
            not ok 2 - long
            1..2
        not ok 4 - formats
        """.write(toFile: path, atomically: true, encoding: .utf8)
        var outcomes: [CaseOutcome] = []
        let facts = try ReportReader.read(path: path) { outcomes.append($0) }
        #expect(facts.format == .tap)
        #expect(facts.counts == ReportCounts(tests: 5, failures: 2, errors: 0, skipped: 1))
        #expect(outcomes.map(\.key) == ["adds", "divides", "parses dates", "formats > short", "formats > long"])
        let divides = outcomes[1]
        #expect(divides.message == "expected 2, got 3" && divides.expected?.text == "2" && divides.actual?.text == "3")
        #expect(divides.properties["at"] == "math.test.js:12:5")
        #expect(outcomes[2].status == .skip && outcomes[2].message == "TODO: not written yet")
        #expect(facts.declaredMismatch == nil)

        try "1..3\nok 1 - one\nBail out! database is down\n".write(toFile: path, atomically: true, encoding: .utf8)
        var bailed: [CaseOutcome] = []
        let aborted = try ReportReader.read(path: path) { bailed.append($0) }
        #expect(aborted.declaredMismatch == "aborted: Bail out! database is down")
        #expect(bailed.map(\.status) == [.pass, .error, .error])
        #expect(aborted.counts.errors == 2)

        let criterion = try ReportReader.read(path: Self.folder.appendingPathComponent("criterion-2.3.2-tap13.tap").path) { _ in }
        #expect(criterion.counts.duplicates > 0 && criterion.declaredMismatch == nil)
        let mocha = try ReportReader.read(path: Self.folder.appendingPathComponent("mocha-tap-no-plan-trailing-coverage.tap").path) { _ in }
        #expect(mocha.declaredMismatch == "the TAP stream has no plan")
        let prose = #expect(throws: IngestError.self) {
            _ = try ReportReader.read(path: Self.folder.appendingPathComponent("bad/real-mocha-spec-output-named-test.tap").path, format: .tap) { _ in }
        }
        #expect(prose?.message.hasSuffix("no TAP plan or test points found") == true)
    }

    /// TAP as node's test runner writes it (`Tools/fixtures/node-tap/`, node 20.20.2): suites
    /// and subtests nested, YAML diagnostics with `error`, `expected`, `actual`, `location`.
    @Test func nodeTestRunnerTAP() throws {
        let path = Bundle.module.url(forResource: "generated", withExtension: nil, subdirectory: "Fixtures")!
            .appendingPathComponent("gen-node-20.20.2-test-runner-tap.tap").path
        var outcomes: [CaseOutcome] = []
        let facts = try ReportReader.read(path: path) { outcomes.append($0) }
        #expect(facts.counts == ReportCounts(tests: 8, failures: 2, errors: 0, skipped: 1))
        #expect(facts.declaredMismatch == nil)
        #expect(outcomes.map(\.key) == [
            "bulletins > formats the date", "bulletins > normalizes the region", "bulletins > danger levels > level 5 triggers an alert",
            "bulletins > danger levels > level 1 is quiet", "parses an empty bulletin", "top-level passes", "with subtests > first",
            "with subtests > second",
        ])
        let alert = outcomes[2]
        #expect(alert.status == .fail && alert.expected?.text == "5" && alert.actual?.text == "4")
        #expect(alert.message?.hasPrefix("expected level 5") == true)
        #expect(alert.properties["at"] == "/tmp/nodetap/forecast.test.mjs:8:5")
        #expect(outcomes[4].status == .skip && outcomes[4].message == "TODO: parser not written")
        #expect(outcomes[0].durationMilliseconds == 1)
    }

    /// A report the real tool wrote (`Tools/fixtures/generate-real-reports.sh`).
    static func generated(_ name: String) -> String {
        Bundle.module.url(forResource: "generated", withExtension: nil, subdirectory: "Fixtures")!.appendingPathComponent(name).path
    }

    /// go test -json as go 1.19.8 writes it (`Tools/fixtures/go-test/`): a failing subtest and
    /// its parent, a skip, a test that panics (the tests after it never run), and a package
    /// that does not build, which Go before 1.24 reports as a plain-text line (an error of the
    /// package, not one of its tests).
    @Test func goTestJSONFromGo119() throws {
        var outcomes: [CaseOutcome] = []
        let facts = try ReportReader.read(path: Self.generated("gen-go-1.19.8-test-json.jsonl")) { outcomes.append($0) }
        #expect(facts.counts == ReportCounts(tests: 8, failures: 3, errors: 1, skipped: 1))
        let byKey = Dictionary(outcomes.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let subtest = try #require(byKey["example.com/forecast/forecast::TestLevels/snow=90"])
        #expect(subtest.status == .fail && subtest.message?.contains("Level(90) = 4, want 5") == true)
        #expect(byKey["example.com/forecast/forecast::TestLevels"]?.status == .fail)
        #expect(byKey["example.com/forecast/forecast::TestRegionsFeed"]?.message?.contains("the regions feed is offline") == true)
        #expect(byKey["example.com/forecast/panics::TestPanics"]?.output?.text.contains("assignment to entry in nil map") == true)
        #expect(byKey["example.com/forecast/panics::TestAfterPanic"] == nil)
        #expect(byKey["example.com/forecast/broken"]?.status == .error)
        #expect(byKey["example.com/forecast/broken"]?.message?.contains("build failed") == true)
    }

    /// CTRF as pytest-json-ctrf 0.6.1 writes it (`Tools/fixtures/pytest-ctrf/`): an error in a
    /// fixture is `failed`, an expected failure `skipped`; the summary agrees with the tests.
    @Test func ctrfFromPytest() throws {
        var outcomes: [CaseOutcome] = []
        let facts = try ReportReader.read(path: Self.generated("gen-pytest-json-ctrf-0.6.1.json")) { outcomes.append($0) }
        #expect(facts.format == .ctrf && facts.producer == "pytest")
        #expect(facts.counts == ReportCounts(tests: 6, failures: 2, errors: 0, skipped: 2))
        #expect(facts.declaredMismatch == nil)
        let failing = try #require(outcomes.first { $0.key.hasSuffix("test_levels[90-5]") })
        #expect(failing.status == .fail && failing.message?.hasPrefix("AssertionError: expected level 5") == true)
        #expect(outcomes.first { $0.key.hasSuffix("test_station_reading") }?.message?.contains("weather station CH-4 unreachable") == true)
    }

    /// SARIF as ruff 0.17.6 writes it (`Tools/fixtures/ruff-sarif/`), before and after `ruff
    /// --fix` removed two unused imports: ruff gives no fingerprints or snippets, so each case is
    /// keyed by its message, and the three violations left keep their keys though their lines
    /// moved up by two.
    @Test func sarifFromRuffBeforeAndAfterAFix() throws {
        var before: [CaseOutcome] = [], after: [CaseOutcome] = []
        let facts = try ReportReader.read(path: Self.generated("gen-ruff-0.17.6-before-fix.sarif")) { before.append($0) }
        _ = try ReportReader.read(path: Self.generated("gen-ruff-0.17.6-after-fix.sarif")) { after.append($0) }
        #expect(facts.format == .sarif && facts.producer == "ruff" && facts.coversWholeTree)
        #expect(facts.counts == ReportCounts(tests: 5, failures: 5, errors: 0, skipped: 0))
        #expect(before.map { $0.properties["rule"] ?? "" } == ["F401", "F401", "E711", "F841", "E722"])
        #expect(Set(before.map(\.key)).count == 5)
        #expect(Set(after.map(\.key)).isSubset(of: Set(before.map(\.key))))
        #expect(Set(before.map(\.key)).subtracting(after.map(\.key)).allSatisfy { $0.contains("::F401#") })
        #expect(after.first?.output?.text == "/tmp/forecast-lint/bulletin.py:5:19")
    }

    /// Two results alike in one file (same rule, path and text) are two cases, the second
    /// keyed `~2`: fixing one leaves the other failing.
    @Test func sarifResultsAlikeAreSeparateCases() throws {
        let result = #"{"ruleId": "E711", "level": "error", "message": {"text": "Comparison to `None`"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.py"}}}]}"#
        let path = NSTemporaryDirectory() + "remedy-alike-\(UUID().uuidString).sarif"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try #"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "ruff"}}, "results": [\#(result), \#(result)]}]}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        var outcomes: [CaseOutcome] = []
        let facts = try ReportReader.read(path: path) { outcomes.append($0) }
        #expect(outcomes.count == 2 && facts.counts.duplicates == 0)
        #expect(outcomes[1].key == outcomes[0].key + "~2")
    }

    /// Every format's broken files: truncated, mis-encoded, absurdly long; each refused with
    /// one line naming the file (and, where it has one, the line).
    @Test(arguments: [
        ("codeql-2.12.2-javascript-rules-in-extensions.sarif", "truncate", "not valid JSON: it ends early"),
        ("cypress-ctrf-0.0.12-flaky-retries.json", "truncate", "not valid JSON: it ends early"),
        ("go-test-json-gotestsum-rerun-fails.jsonl", "truncate", "not a go test -json event"),
        ("xunit-vstest-netcoreapp2.1-small.trx", "truncate", "truncated"),
        ("criterion-2.3.2-tap13.tap", "latin1", "line 6: not UTF-8"),
        ("go-test-json-gotestsum-rerun-fails.jsonl", "latin1", "line 1: not a go test -json event"),
        ("eslint-9.34.0-sarif-zero-results.sarif", "latin1", "bytes that are not UTF-8"),
        ("criterion-2.3.2-tap13.tap", "long line", "longer than"),
    ])
    func brokenReportsOfEachFormat(_ file: String, _ damage: String, _ fragment: String) throws {
        var bytes = Array(try Data(contentsOf: Self.folder.appendingPathComponent(file)))
        switch damage {
        case "truncate":
            bytes = Array(bytes.prefix(bytes.count / 2 + 7))
        case "latin1":
            // A byte that is not UTF-8, in the first line of text past the header lines.
            let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
            let target = file.hasSuffix(".tap") ? 5 : file.hasSuffix(".sarif") ? 1 : 0
            let at = lines[..<target].reduce(0) { $0 + $1.count + 1 } + lines[target].count / 2
            bytes[at] = 0xE9
        default:
            bytes = Array("TAP version 13\nok 1 - ".utf8) + Array(repeating: UInt8(ascii: "x"), count: 2 << 20) + [0x0A]
        }
        let path = NSTemporaryDirectory() + "remedy-broken-\(UUID().uuidString)-" + file
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: IngestError.self) { _ = try ReportReader.read(path: path) { _ in } }
        #expect(error?.message.hasPrefix(path) == true && error?.message.contains(fragment) == true, "\(damage): \(error?.message ?? "")")
        #expect(error?.message.contains("\n") == false)
    }

    /// go test -json: a package failing outside its tests is an error with its output.
    @Test func goTestPackageFailuresAreErrors() throws {
        var outcomes: [CaseOutcome] = []
        _ = try ReportReader.read(path: Self.folder.appendingPathComponent("go-test-json-go1.24-build-fail.jsonl").path) { outcomes.append($0) }
        #expect(outcomes.count == 1)
        #expect(outcomes.first?.status == .error && outcomes.first?.key == "example.com/internal/cacher")
        #expect(outcomes.first?.output?.text.contains("example.com/internal/cacher") == true)
        var reruns: [CaseOutcome] = []
        _ = try ReportReader.read(path: Self.folder.appendingPathComponent("go-test-json-gotestsum-rerun-fails.jsonl").path) { reruns.append($0) }
        let often = reruns.filter { $0.key.hasSuffix("::TestFailsOften") }
        #expect(often.map(\.status) == [.fail, .fail, .fail, .pass])
        #expect(often.first?.message?.isEmpty == false)
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
        BadFile(file: "real-mocha-spec-output-named-test.tap", code: .unsupported, fragment: "no TAP plan or test points were found"),
        BadFile(file: "real-phpunit-config-not-a-report.xml", code: .notAReport, fragment: "not a test report (root <phpunit>"),
        BadFile(file: "truncated-mid-failure-pytest-conflowgen.xml", code: .malformed, fragment: "truncated"),
        BadFile(file: "truncated-promptfoo-v3.json", code: .malformed, fragment: "not valid JSON: it ends early (truncated?)"),
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

/// The skimmer walks an object's members without decoding them, whatever their values hold.
@Suite struct JSONSkimmerTests {
    @Test func membersAndTheirValuesAreFound() throws {
        let text = #"{ "id" : 7, "s": "a \"quoted\" } ] { string\\", "nested": {"a": [1, {"b": "]"}]}, "n": -1.5e3 ,"t":true,"z":null}"#
        let bytes = Array(text.utf8)
        let members = try #require(bytes.withUnsafeBufferPointer { JSONSkimmer.members(of: $0) })
        #expect(members.map(\.key) == ["id", "s", "nested", "n", "t", "z"])
        #expect(members.map { String(decoding: bytes[$0.value], as: UTF8.self) }
                == ["7", #""a \"quoted\" } ] { string\\""#, #"{"a": [1, {"b": "]"}]}"#, "-1.5e3", "true", "null"])
        let kept = JSONSkimmer.object(of: bytes, keeping: ["nested", "z"])
        #expect(String(decoding: kept, as: UTF8.self) == #"{"nested":{"a": [1, {"b": "]"}]},"z":null}"#)
        // Not an object, or cut short: nil, and the caller decodes the bytes as they are.
        #expect(Array("[1]".utf8).withUnsafeBufferPointer { JSONSkimmer.members(of: $0) } == nil)
        #expect(Array(#"{"a": "unterminated"#.utf8).withUnsafeBufferPointer { JSONSkimmer.members(of: $0) } == nil)
    }

    /// Strings end at the first quote after an even run of backslashes (none counts), however
    /// long the run and wherever the string starts.
    @Test(arguments: [
        (#"{"s":"\\\"","t":1}"#, #""\\\"""#),
        (#"{"s":"\\\\","t":1}"#, #""\\\\""#),
        (#"{"s":"","t":1}"#, #""""#),
        (#"{"s":"a\"\\\\\"b","t":1}"#, #""a\"\\\\\"b""#),
    ])
    func escapedQuotesDoNotEndAString(text: String, firstValue: String) throws {
        let bytes = Array(text.utf8)
        let members = try #require(bytes.withUnsafeBufferPointer { JSONSkimmer.members(of: $0) })
        #expect(String(decoding: bytes[members[0].value], as: UTF8.self) == firstValue)
    }

    @Test func aStringEndingInAnEscapedQuoteIsUnterminated() {
        #expect(Array(#"{"a": "x\"}"#.utf8).withUnsafeBufferPointer { JSONSkimmer.members(of: $0) } == nil)
        #expect(Array(#"{"a": "x\\\"}"#.utf8).withUnsafeBufferPointer { JSONSkimmer.members(of: $0) } == nil)
    }
}

/// The streaming walk hands over the values at the paths asked for, whatever surrounds them,
/// and names what is not JSON.
@Suite struct JSONPathStreamTests {
    func walk(_ text: String, _ patterns: [[JSONPathStream.Step]]) throws -> [(Int, String)] {
        let path = NSTemporaryDirectory() + "remedy-stream-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let descriptor = open(path, O_RDONLY)
        defer { close(descriptor) }
        var found: [(Int, String)] = []
        try JSONPathStream(descriptor: descriptor, name: path).walk(patterns) { found.append(($0, String(decoding: $1, as: UTF8.self))) }
        return found
    }

    @Test func valuesAtThePathsAreHandedOver() throws {
        let text = #"{"skip": {"tests": [9]}, "results": {"tests": [{"a": "}]\"{"}, 2 , "x", [3], null], "tool": {"name": "jest"}}, "tail": [1]}"#
        let found = try walk(text, [[.key("results"), .key("tests"), .element], [.key("results"), .key("tool")]])
        #expect(found.map(\.0) == [0, 0, 0, 0, 0, 1])
        #expect(found.map(\.1) == [#"{"a": "}]\"{"}"#, "2", #""x""#, "[3]", "null", #"{"name": "jest"}"#])
        // A document larger than one read: every element, in order.
        let many = "{\"t\": [" + (0..<200_000).map { #"{"n": \#($0), "s": "\#(String(repeating: "x", count: $0 % 17))"}"# }.joined(separator: ",") + "]}"
        let elements = try walk(many, [[.key("t"), .element]])
        #expect(elements.count == 200_000)
        #expect(elements.last?.1 == #"{"n": 199999, "s": "\#(String(repeating: "x", count: 199_999 % 17))"}"#)
    }

    @Test(arguments: [(#"{"a": [1, 2}"#, "closes nothing open"), (#"{"a": "cut"#, "ends early"), (#"{"a": 1} {"b": 2}"#, "a second document"),
                      (#"{1: 2}"#, "without a quoted key"), ("", "ends early")])
    func structuralErrorsAreNamed(_ text: String, _ fragment: String) throws {
        let error = #expect(throws: IngestError.self) { _ = try walk(text, [[.key("a")]]) }
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }
}

/// The `.eval` reader's fast path reads a sample's fields as `JSONDecoder` would: on every
/// sample of the real inspect_ai logs here, and on samples built to reach each corner.
@Suite struct InspectSampleFieldsTests {
    func agree(_ bytes: [UInt8], _ label: String) throws {
        let decoded = try InspectReportParser.decode(InspectLog.Sample.self, from: Data(bytes), name: label, what: "sample")
        guard let fast = InspectSampleFields.sample(bytes) else { return }   // the decoder's turn, as in ingest
        #expect(InspectReportParser.outcome(fast, task: "t") == InspectReportParser.outcome(decoded, task: "t"), "\(label)")
    }

    @Test func realSamplesReadAlike() throws {
        var checked = 0
        for file in ["inspect-ai-0.3.95-cancelled-popularity.json", "inspect-ai-0.3.95-model-graded-security-guide.json"] {
            let path = ReportFixtureTests.folder.appendingPathComponent(file).path
            let descriptor = open(path, O_RDONLY)
            defer { close(descriptor) }
            try JSONPathStream(descriptor: descriptor, name: path).walk([[.key("samples"), .element]]) { _, bytes in
                #expect(InspectSampleFields.sample(bytes) != nil, "the fast path reads \(file)'s samples")
                try agree(bytes, file)
                checked += 1
            }
        }
        #expect(checked == 6)
    }

    @Test(arguments: [
        #"{"id": 3, "epoch": 2, "scores": {"b": {"value": "C"}, "a": {"value": "I", "explanation": "wrong \"date\"\nformat", "answer": "caf\u00e9 \ud83e\uddea"}}, "target": "2026-12-02"}"#,
        #"{"id": "s-1", "scores": {"m": {"value": NaN}}, "output": {"completion": "tab\there", "choices": [{"x": 1}]}, "metadata": {"trace_id": "tr-9", "nested": {"a": [1]}}}"#,
        #"{"id": 1.5, "error": {"message": "provider timeout", "traceback": "..."}, "target": ["a", "b"], "events": [{"NaN": "x"}]}"#,
        #"{"id": null, "epoch": null, "scores": null, "error": null, "target": null, "output": null, "metadata": null}"#,
        #"{"id": 7, "scores": {"m": {"value": 0.75}}, "metadata": {"traceId": 12}, "target": "line\/slash \\ back"}"#,
        #"{"id": true, "scores": {"m": {"value": [1, 2]}}}"#,
    ])
    func cornersReadAlike(_ text: String) throws {
        try agree(NonFiniteNumbers.nulled(Array(text.utf8)), text)
    }
}
