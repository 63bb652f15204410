import Foundation
import XCTest

/// README cannot drift: every command of its tour runs, in order, against a temporary ledger.
///
/// The tour shows each command once, not a script; the few steps between them that make the
/// next one meaningful (earlier runs, a run that makes a guard, enough events for a part
/// bundle, the checkpoint an auditor kept) run unseen before the line that needs them, and
/// say why. Placeholders in square brackets (`[--size N]`) are optional and left out.
final class ReadmeTourTests: XCTestCase {
    /// The folder the tour runs in, with the files its commands name.
    private var folder = ""
    private var environment: [String: String] = [:]

    func testEveryCommandOfTheTourRuns() throws {
        let lines = try Self.tourLines()
        XCTAssertGreaterThan(lines.count, 50, "the tour's commands are found")
        folder = NSTemporaryDirectory() + "remedy-tour-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try writeFixtures()
        environment = [
            "PATH": Remedy.binary.deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "CI_PIPELINE_ID": "81", "GIT_SHA": "8a3b7c2", "GITHUB_STEP_SUMMARY": folder + "/summary.md",
        ]
        var ran = 0
        for line in lines {
            if line.contains("--follow") {
                // `tail -f`: it waits for events until stopped. CLITests covers it.
                continue
            }
            for step in setUp(before: line) { try expect(step, exitCodes: [0], because: "set-up before: \(line)") }
            let output = try expect(Self.withoutPlaceholders(line), exitCodes: Self.exitCodes(of: line), because: "README: \(line)")
            if line.hasPrefix("remedy key generate") {
                environment["VKEY"] = output.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            ran += 1
        }
        XCTAssertEqual(ran, lines.count - 1, "every command but the one that follows")
        // What the tour's steps left behind is what they said.
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/report.html"))
        XCTAssertTrue(try String(contentsOfFile: folder + "/summary.md", encoding: .utf8).contains("golden"))
        let status = try expect("remedy verify", exitCodes: [0], because: "the ledger the tour built verifies")
        XCTAssertFalse(status.isEmpty)
    }

    // MARK: - The tour

    /// The command lines of README's tour: from "## A short tour" to "## Design", each shell
    /// line (not a comment) that runs `remedy` or `sqlite3`, a quoted query continued on the
    /// next line joined to it.
    static func tourLines() throws -> [String] {
        let readme = try String(contentsOf: packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let start = readme.range(of: "## A short tour"), let end = readme.range(of: "\n## Design") else {
            throw XCTSkip("README has no tour")   // never: the sections are README's
        }
        var lines: [String] = []
        var inShell = false
        var pending: String?
        for raw in readme[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.hasPrefix("```") {
                inShell = line == "```sh"
                continue
            }
            guard inShell else { continue }
            if let open = pending {
                let joined = open + "\n" + line
                if joined.filter({ $0 == "\"" }).count % 2 == 0 { lines.append(joined); pending = nil } else { pending = joined }
                continue
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("#"), trimmed.hasPrefix("remedy ") || trimmed.hasPrefix("sqlite3 ") || trimmed.contains("| remedy ") else { continue }
            if trimmed.filter({ $0 == "\"" }).count % 2 == 1 { pending = trimmed } else { lines.append(trimmed) }
        }
        return lines
    }

    /// A line without its `[optional]` placeholders (its comment is the shell's to skip).
    static func withoutPlaceholders(_ line: String) -> String {
        var text = line
        while let open = text.range(of: " ["), let close = text.range(of: "]", range: open.upperBound..<text.endIndex) {
            text.removeSubrange(open.lowerBound..<close.upperBound)
        }
        return text
    }

    /// The exit codes README gives for a line: the gate's decision and the ratchet's check
    /// say what they found by theirs.
    static func exitCodes(of line: String) -> Set<Int32> {
        if line.hasPrefix("remedy gate") { return [0, 10, 11] }
        if line.hasPrefix("remedy ratchet check") { return [0, 12] }
        return [0]
    }

    /// The unseen steps before a line, so the line meets what it needs.
    private func setUp(before line: String) -> [String] {
        switch true {
        case line.hasPrefix("remedy ingest reports/"):
            // Earlier runs of the suite: `--as-of run:2`, `diff 80 81` and `--since run:70` name them.
            return ["remedy ingest history/run-2.xml --suite golden --run 2", "remedy ingest history/run-70.xml --suite golden --run 70",
                    "remedy ingest history/run-80.xml --suite golden --run 80"]
        case line.hasPrefix("remedy reverted"):
            // The fix merged; the next run passes the case, which becomes a guard (to retire below).
            return ["remedy ingest history/run-82.xml --suite golden --run 82"]
        case line.hasPrefix("remedy policy adopt"):
            return ["remedy policy show > autonomy.json"]
        case line.hasPrefix("remedy append --stream fix-42"):
            // A fix 42 to review.
            return ["remedy propose failure-1 --fix 42 --change https://git.example/pr/42 --blast-radius low --lever code --by dana"]
        case line.hasPrefix("remedy key generate"):
            // Enough events for the part bundle of events 5,001 to 6,000.
            return ["remedy append --ndjson bulk.ndjson"]
        case line.hasPrefix("remedy verify --checkpoint"):
            // The checkpoint an auditor kept.
            return ["remedy checkpoint --show > kept.txt"]
        default:
            return []
        }
    }

    @discardableResult
    private func expect(_ command: String, exitCodes: Set<Int32>, because what: String) throws -> String {
        let output = try Remedy.run(["-c", command], environment: environment, directory: folder, executable: "/bin/bash")
        XCTAssertTrue(exitCodes.contains(output.status), "\(what): exit \(output.status): \(output.stderr)")
        return output.stdout
    }

    // MARK: - The files the tour names

    private static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A run of the suite `golden`: six legacy cases failing (failures 1 to 6), the SLF date
    /// case failing in run 81 only (failure 7) and in the verification of its fix passing.
    private static func report(run: String, dateFails: Bool) -> String {
        var cases = ["<testcase classname=\"forecast\" name=\"slf-date\"><properties><property name=\"skill\" value=\"date-normalizer\"/></properties>"
                     + (dateFails ? "<failure message=\"wrong date format\">expected 2026-11-30</failure>" : "") + "</testcase>"]
        cases += (1...6).map { "<testcase classname=\"legacy\" name=\"case-\($0)\"><failure message=\"broken\"/></testcase>" }
        cases += ["old::name", "alerts::flaky-feed", "alerts::danger-level"].map { key in
            let parts = key.components(separatedBy: "::")
            return "<testcase classname=\"\(parts[0])\" name=\"\(parts[1])\"/>"
        }
        return "<testsuite name=\"golden-\(run)\" tests=\"\(cases.count)\">\n" + cases.joined(separator: "\n") + "\n</testsuite>\n"
    }

    private func writeFixtures() throws {
        func write(_ path: String, _ text: String) throws {
            let url = URL(fileURLWithPath: folder + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        for run in ["2", "70", "80"] { try write("history/run-\(run).xml", Self.report(run: run, dateFails: false)) }
        try write("reports/golden.xml", Self.report(run: "81", dateFails: true))
        try write("verify/golden.xml", Self.report(run: "v7", dateFails: false))
        try write("history/run-82.xml", Self.report(run: "82", dateFails: false))
        let promptfoo = Self.packageRoot.appendingPathComponent("Tests/IngestTests/Fixtures/reports/promptfoo-v3-1fail.json")
        try write("results.json", try String(contentsOf: promptfoo, encoding: .utf8))
        try write(".remedy/skills", "forecast::*  date-normalizer\n")
        try write("golden-cases.txt", "forecast::slf-date\nlegacy::case-1\nalerts::danger-level\n")
        try write("stricter.json", #"{"name": "stricter", "rules": [{"name": "everything needs a person", "when": {}, "decide": "review"}]}"#)
        try write("deploy.json", #"{"commit":"8a3b7c2","environment":"prod"}"#)
        try write("outcomes.ndjson", (1...3).map { #"{"stream":"deploy-staging","type":"DeploymentRecorded","data":{"n":\#($0)}}"# }.joined(separator: "\n") + "\n")
        try write("bulk.ndjson", (1...6_000).map { #"{"stream":"load-\#($0 % 7)","type":"LoadSampled","data":{"n":\#($0)}}"# }.joined(separator: "\n") + "\n")
    }
}
