import Foundation
import Testing
import Events
@_spi(Testing) import LedgerStore
import Projections
@testable import RemediationLoop
@testable import ReadViews

/// What keeps an ingest's memory flat however large the report: a run's cases kept on disk
/// past a limit, and read-model snapshots written piece by piece. Each must record exactly
/// what the in-memory path records.
@Suite struct LargeRunTests {
    let folder: String

    init() throws {
        folder = NSTemporaryDirectory() + "remedy-large-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func ledger(_ name: String, configuration: LedgerConfiguration = LedgerConfiguration()) throws -> Ledger {
        try Ledger.open(LedgerPath(path: folder + "/" + name), mode: .readWrite, create: .ifMissing(), configuration: configuration)
    }

    func write(_ text: String, _ name: String) throws -> String {
        let path = folder + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A JUnit report with reruns (a flaky case, a case failing every attempt), skips, long
    /// messages and keys whose bytes sort differently from their characters' names.
    func junit(run: Int) -> String {
        var cases: [String] = []
        for index in 0..<40 {
            let name = ["case-\(index)", "caf\u{E9}-\(index)", "cafe\u{301}-\(index)", "Zeta-\(index)", "\u{1F600}-\(index)"][index % 5]
            let fails = (index + run) % 3 == 0
            let body: String
            switch index % 7 {
            case 0: body = "<skipped/>"
            case 1: body = #"<flakyFailure message="first try \#(index)"/><flakyFailure message="second try"/>"#
            case 2: body = #"<failure message="\#(String(repeating: "long ", count: 200))"/><rerunFailure message="again"/>"#
            default: body = fails ? #"<failure message="expected \#(index) got \#(run)">trace</failure>"# : ""
            }
            cases.append(#"<testcase classname="pkg.Area\#(index % 4)" name="\#(name)">\#(body)</testcase>"#)
        }
        return "<testsuite name=\"s\">" + cases.joined(separator: "\n") + "</testsuite>"
    }

    /// A SARIF run listing some violations: those absent from the next run have passed.
    func sarif(_ rules: [Int]) -> String {
        let results = rules.map { index in
            #"{"ruleId": "rule-\#(index)", "level": "error", "message": {"text": "found \#(index)"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "src/f\#(index).ts"}, "region": {"startLine": \#(index + 1)}}}], "partialFingerprints": {"hash": "h\#(index)"}}"#
        }
        return #"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "ESLint"}}, "results": [\#(results.joined(separator: ","))]}]}"#
    }

    /// A TRX report: results first, then the definitions that name each test's class (a test
    /// with no definition keeps its bare name).
    func trx(run: Int) -> String {
        let ids = (0..<12).map { "00000000-0000-0000-0000-\(String(repeating: "0", count: 10))\($0 < 10 ? "0" : "")\($0)" }
        let results = ids.enumerated().map { index, id in
            #"<UnitTestResult testId="\#(id)" testName="Area\#(index % 3).Tests.Case\#(index)" outcome="\#((index + run) % 4 == 0 ? "Failed" : "Passed")" duration="00:00:00.01"><Output><ErrorInfo><Message>boom \#(index)</Message></ErrorInfo></Output></UnitTestResult>"#
        }
        let definitions = ids.enumerated().dropLast().map { index, id in
            #"<UnitTest name="Case\#(index)" id="\#(id)"><TestMethod className="Area\#(index % 3).Tests, Area, Version=1.0" name="Case\#(index)"/></UnitTest>"#
        }
        return #"<?xml version="1.0" encoding="utf-8"?><TestRun id="r" xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010"><Results>\#(results.joined())</Results><TestDefinitions>\#(definitions.joined())</TestDefinitions></TestRun>"#
    }

    /// Every event's stream, type and payload, in ledger order.
    func events(_ ledger: Ledger) throws -> [String] {
        try ledger.events(EventQuery()).map { event in
            let envelope = try EventEnvelope(decoding: event.body)
            return "\(envelope.stream.rawValue) \(envelope.type.rawValue) \(String(decoding: envelope.data, as: UTF8.self))"
        }
    }

    @Test func aRunKeptOnDiskRecordsWhatARunInMemoryRecords() throws {
        let inMemory = try ledger("memory.db"), onDisk = try ledger("disk.db")
        var summaries: [[IngestSummary]] = [[], []]
        for run in 1...3 {
            let junit = try write(junit(run: run), "run-\(run).xml")
            // Results alike (the same rule at the same place) are numbered `~2`, `~3`: on disk too.
            let lint = try write(sarif(run == 1 ? [1, 2, 3, 4, 5, 1, 2, 1] : run == 2 ? [1, 3, 6, 1] : [6]), "lint-\(run).sarif")
            let dotnet = try write(trx(run: run), "run-\(run).trx")
            for (index, target) in [inMemory, onDisk].enumerated() {
                for (suite, file) in [("s", junit), ("lint", lint), ("dotnet", dotnet)] {
                    var request = IngestRequest(files: [file], suite: suite, run: "\(run)")
                    // Three cases in memory at most: nearly every attempt goes to disk and back.
                    if index == 1 { request.caseMemoryLimit = 3 }
                    summaries[index].append(try RunIngester.ingest(request, into: target))
                }
            }
        }
        #expect(summaries[0] == summaries[1])
        let recorded = try events(inMemory)
        #expect(try events(onDisk) == recorded)
        #expect(summaries[0].contains { $0.flaky > 0 } && summaries[0].contains { !$0.fixed.isEmpty }, "the report exercises reruns and fixes")
        #expect(recorded.contains { $0.contains("\"attempt\":3") }, "a case with three attempts")
        // The lint cases absent from run 2 (2, 2~2, 4, 5, 1~3) passed, in key order either way.
        #expect(summaries[0][4].fixed.count == 5)
        #expect(recorded.contains { $0.contains("#") && $0.contains("~3\",") }, "a third result alike")
        #expect(recorded.contains { $0.contains(#""case":"Area1.Tests::Case1""#) }, "a TRX key from its definition")
        #expect(recorded.contains { $0.contains(#""case":"Area2.Tests.Case11""#) }, "a TRX key without one")
    }

    @Test func anEntryReadsBackAsItWasKept() throws {
        var entry = RunCaseTallies.Entry()
        entry.tally = RunCaseTallies.CaseTally(attempts: 70_000, finalStatus: .error, sawPass: true, sawFailure: true)
        entry.note = RunCaseTallies.FailureNote(message: "line\u{0}one\n\u{1F600}", traceID: nil, skill: "")
        #expect(try RunCaseTallies.decode(RunCaseTallies.encode(entry)) == entry)
        #expect(try RunCaseTallies.decode(RunCaseTallies.encode(RunCaseTallies.Entry())) == RunCaseTallies.Entry())
        #expect(throws: LoopError.self) { try RunCaseTallies.decode(Array(RunCaseTallies.encode(entry).dropLast())) }

        // Keys that differ only past a NUL, or only in normalization, stay apart on disk.
        var tallies = RunCaseTallies(memoryLimit: 1)
        let keys = ["a\u{0}b", "a\u{0}c", "caf\u{E9}", "cafe\u{301}", "", "a"]
        for key in keys + keys { try tallies.update(key) { $0.tally.attempts += 1 } }
        try tallies.seal()
        var seen: [(String, Int32)] = []
        try tallies.forEachInKeyOrder { key, entry in seen.append((key, entry.tally.attempts)) }
        #expect(seen.map(\.0) == keys.sorted(by: RunCaseTallies.precedes))
        #expect(seen.allSatisfy { $0.1 == 2 } && tallies.count == keys.count)
    }

    /// Runs on disk answer as a dictionary of the last value set for each key: lookups of
    /// keys in no run, in one, in several (the newest wins), in blocks of any length, and the
    /// merge of every run in byte order.
    @Test func sortedRunsReadBackWhatWasLastWritten() throws {
        var generator = SystemRandomNumberGenerator()
        var model: [[UInt8]: [UInt8]] = [:]
        var runs = try SortedRuns()
        for run in 0..<12 {
            var entries: [[UInt8]: [UInt8]] = [:]
            for _ in 0..<Int.random(in: 0...300, using: &generator) {
                // Short keys from a small alphabet repeat across runs; a few are long.
                let length = Int.random(in: 0...(Bool.random(using: &generator) ? 3 : 600), using: &generator)
                let key = (0..<length).map { _ in UInt8.random(in: 0...3, using: &generator) * 85 }
                entries[key] = Array("run \(run) \(key.count)".utf8) + [UInt8](repeating: UInt8(run), count: Int.random(in: 0...40, using: &generator))
            }
            let sorted = entries.map { (key: $0.key, value: $0.value) }.sorted { SortedRuns.compare($0.key, $1.key) < 0 }
            try runs.append(sorted)
            model.merge(entries) { _, new in new }
        }
        for (key, value) in model { #expect(try runs.value(for: key) == value) }
        for absent in [[UInt8(1)], [UInt8](repeating: 7, count: 700), [UInt8(255), 1]] { #expect(try runs.value(for: absent) == nil) }
        var merged: [([UInt8], [UInt8])] = []
        try runs.forEachMerged { merged.append(($0, $1)) }
        #expect(merged.map(\.0) == model.keys.sorted { SortedRuns.compare($0, $1) < 0 })
        #expect(merged.allSatisfy { model[$0.0] == $0.1 })
    }

    /// A snapshot of tables far larger than the pieces it is written in (64 KiB) restores the
    /// tables a fold from the first event gives.
    @Test func aSnapshotLargerThanItsPiecesReadsBack() throws {
        let ledger = try ledger("snapshots.db", configuration: LedgerConfiguration(snapshotInterval: 1_500))
        let cases = (0..<3_000).map { #"<testcase classname="pkg.module\#($0 % 50).LongClassName" name="test_number_\#($0)_renders_the_bulletin"\#($0 % 9 == 0 ? "><failure message=\"no\"/></testcase>" : "/>")"# }
        let report = try write("<testsuite name=\"s\">" + cases.joined(separator: "\n") + "</testsuite>", "big.xml")
        _ = try RunIngester.ingest(IngestRequest(files: [report], suite: "s", run: "1"), into: ledger)
        _ = try ledger.catchUp(ReadModels.all)
        let stored = try #require(try ledger.scalar("SELECT max(length(rows)) FROM projection_snapshots"))
        #expect(stored > 3 << 16, "a snapshot several pieces long")
        let fromTheStart = try Ledger.open(LedgerPath(path: folder + "/snapshots.db"), mode: .readOnly,
                                           configuration: LedgerConfiguration(snapshotInterval: 0))
        let end = try ledger.status().eventCount
        for position in [1_500, 2_000, 3_000, end] {
            let restored = try ledger.projectInMemory(ReadModels.all, through: position)
            let folded = try fromTheStart.projectInMemory(ReadModels.all, through: position)
            for (index, projection) in ReadModels.all.enumerated() {
                #expect(projection.tables.map { restored[index].rows($0.name) } == projection.tables.map { folded[index].rows($0.name) },
                        "\(projection.name) at \(position)")
            }
        }
    }
}
