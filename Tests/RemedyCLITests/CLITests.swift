import Foundation
import XCTest

/// The commands' normal output, for people and for machines.
final class CLITests: XCTestCase {
    func testDemoBuildsAndVerifiesALedgerInATemporaryFolderAndRemovesIt() throws {
        let temporary = TemporaryFolder()
        let result = try Remedy.run(["demo"], environment: ["TMPDIR": temporary.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdoutLines.first, "demo ledger: a temporary one, removed when the demo ends (--ledger PATH keeps one)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary.path), [], "nothing left behind")
        for expected in ["gate date-normalizer: auto-merge", "gate danger-threshold: review (high-stakes targets need a person)",
                         "forecast.bulletins::slf-date-format       slipped since run 2", "regression  failure-3",
                         "date-normalizer     failing   1 open regression (a guard slipped)",
                         "verified 52 events; root "] {
            XCTAssertTrue(result.stdout.contains(expected), "\(result.stdout) lacks \(expected)")
        }
        // --ledger keeps the ledger; the story's reports still go.
        let kept = temporary.file("kept.db")
        let keeping = try Remedy.run(["demo", "--ledger", kept], environment: ["TMPDIR": temporary.path])
        XCTAssertEqual(keeping.status, 0, keeping.stderr)
        XCTAssertEqual(keeping.stdoutLines.first, "demo ledger: \(kept)")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: temporary.path).filter { !$0.hasPrefix("kept.db") }, [])
        XCTAssertEqual(try Remedy.run(["verify", "--ledger", kept]).status, 0)
    }

    func testDefaultLedgerIsCreatedUnderTheCurrentDirectoryAndTheEnvironmentOverridesIt() throws {
        let folder = TemporaryFolder()
        let appended = try Remedy.run(["append", "--init", "--stream", "fix-1", "--type", "A", "--data", "{}"], directory: folder.path)
        XCTAssertEqual(appended.stdout, "1\n", appended.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.file(".remedy/ledger.db")))

        let other = folder.file("other.db")
        XCTAssertEqual(try Remedy.run(["append", "--init", "--stream", "fix-1", "--type", "A", "--data", "{}"],
                                      environment: ["REMEDY_LEDGER": other], directory: folder.path).stdout, "1\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: other))
        XCTAssertEqual(try Remedy.run(["status", "--json"], directory: folder.path).stdout.contains(#""events":1"#), true)
    }

    func testAppendReadsThePayloadFromDataFileOrStdinAndPrintsThePosition() throws {
        let folder = TemporaryFolder()
        let ledger = folder.file("l.db")
        let file = folder.write("payload.json", #"{"from":"file"}"#)
        XCTAssertEqual(try Remedy.run(["append", "--init", "--ledger", ledger, "--stream", "a-1", "--type", "A", "--data", #"{"from":"flag"}"#]).stdout, "1\n")
        XCTAssertEqual(try Remedy.run(["append", "--init", "--ledger", ledger, "--stream", "a-1", "--type", "A", "--data", "@" + file]).stdout, "2\n")
        XCTAssertEqual(try Remedy.run(["append", "--init", "--ledger", ledger, "--stream", "a-1", "--type", "A"], input: Data("{\n \"from\": \"stdin\"\n}\n".utf8)).stdout, "3\n")
        let json = try Remedy.run(["append", "--init", "--ledger", ledger, "--stream", "a-2", "--type", "A", "--data", "{}", "--actor", "ci",
                                   "--correlation-id", "c-1", "--causation-id", "x-1", "--trace-id", "t-1", "--expect-new", "--json"])
        let single = try JSONLine(json.stdout)
        XCTAssertEqual(single.int("position"), 4)
        XCTAssertEqual(single.string("stream"), "a-2")
        XCTAssertEqual(single.int("stream_version"), 1)
        XCTAssertEqual(single.bool("duplicate"), false)
        XCTAssertEqual(single.string("id")?.count, 36)

        let events = try Remedy.run(["events", "--ledger", ledger]).stdoutLines
        XCTAssertEqual(events.count, 4)
        XCTAssertTrue(events[0].hasPrefix(#"{"data":{"from":"flag"},"id":"#))
        XCTAssertTrue(events[1].hasPrefix(#"{"data":{"from":"file"},"#))
        XCTAssertTrue(events[2].hasPrefix(#"{"data":{"from":"stdin"},"#))
        XCTAssertTrue(events[3].contains(#""metadata":{"actor":"ci","causation_id":"x-1","correlation_id":"c-1","trace_id":"t-1"}"#), events[3])
    }

    func testBatchAppendFromStdinAndEventFilters() throws {
        let folder = TemporaryFolder()
        let ledger = folder.file("l.db")
        let batch = (1...30).map { #"{"stream":"\#($0 % 2 == 0 ? "fix" : "run")-\#($0 % 3)","type":"\#($0 % 5 == 0 ? "B" : "A")","data":{"n":\#($0)}}"# }
            .joined(separator: "\n")
        let appended = try Remedy.run(["append", "--init", "--ledger", ledger, "--ndjson", "-", "--json"], input: Data(batch.utf8))
        XCTAssertEqual(appended.status, 0, appended.stderr)
        let batchJSON = try JSONLine(appended.stdout)
        XCTAssertEqual([batchJSON.int("appended"), batchJSON.int("duplicates"), batchJSON.int("first_position"), batchJSON.int("last_position"),
                        batchJSON.int("tree_size")], [30, 0, 1, 30, 30])
        XCTAssertEqual(batchJSON.string("root")?.count, 64)
        let again = try Remedy.run(["append", "--init", "--ledger", ledger, "--ndjson", "-"], input: Data(batch.utf8))
        XCTAssertEqual(again.stdout, "appended 30 events at positions 31-60, 0 already present\n", "no ids: new events")

        func count(_ filters: [String]) throws -> Int { try Remedy.run(["events", "--ledger", ledger] + filters).stdoutLines.count }
        XCTAssertEqual(try count([]), 60)
        XCTAssertEqual(try count(["--category", "fix"]), 30)
        XCTAssertEqual(try count(["--stream", "fix-0", "--stream", "run-1"]), 20)
        XCTAssertEqual(try count(["--type", "B"]), 12)
        XCTAssertEqual(try count(["--from", "10", "--to", "19"]), 10)
        XCTAssertEqual(try count(["--limit", "7"]), 7)
        XCTAssertEqual(try count(["--since", "2000-01-01", "--until", "2999-01-01"]), 60)
        XCTAssertEqual(try count(["--since", "2999-01-01"]), 0)
        let badTime = try Remedy.run(["events", "--ledger", ledger, "--since", "last tuesday"])
        XCTAssertEqual(badTime.status, 2)
        XCTAssertTrue(badTime.stderr.contains("invalid time 'last tuesday'"), badTime.stderr)
    }

    func testShowAndStatus() throws {
        let folder = TemporaryFolder()
        let ledger = folder.file("l.db")
        try Remedy.seedExampleEvents(ledger)
        let show = try Remedy.run(["show", "4", "--ledger", ledger])
        XCTAssertEqual(show.status, 0, show.stderr)
        let lines = show.stdout.split(separator: "\n").map(String.init)
        for (key, value) in [("position ", " 4"), ("stream ", " failure-1 (version 1)"), ("type ", " FailureDetected (schema 1)"),
                             ("causation id ", " 01936a52-0000-7000-8000-000000000002")] {
            XCTAssertTrue(lines.contains { $0.hasPrefix(key) && $0.hasSuffix(value) }, "\(show.stdout) lacks \(key)...\(value)")
        }
        XCTAssertTrue(show.stdout.contains("data\n  {\n    \"case\": \"golden/alerts/heart-rate-danger\","), show.stdout)
        let byID = try Remedy.run(["show", "01936A52-0000-7000-8000-000000000004", "--ledger", ledger, "--json"])
        XCTAssertEqual(byID.stdout, try Remedy.run(["events", "--ledger", ledger, "--from", "4", "--limit", "1"]).stdout)

        let status = try Remedy.run(["status", "--ledger", ledger, "--json"])
        let statusJSON = try JSONLine(status.stdout)
        XCTAssertEqual(statusJSON.int("events"), 20)
        XCTAssertEqual(statusJSON.int("streams"), 5)
        XCTAssertEqual(statusJSON.child("last_event")?.int("position"), 20)
        let verify = try Remedy.run(["verify", "--ledger", ledger, "--json"])
        XCTAssertEqual(statusJSON.child("tree_head")?.int("size"), 20)
        let root = try XCTUnwrap(verify.stdout.components(separatedBy: #""root":""#).dropFirst().first?.prefix(64))
        XCTAssertTrue(status.stdout.contains(String(root)), "status and verify agree on the root")
        let text = try Remedy.run(["status", "--ledger", ledger]).stdout
        XCTAssertTrue(text.split(separator: "\n").contains { $0.hasPrefix("events ") && $0.hasSuffix(" 20") }, text)
    }

    /// `remedy events --follow` as a real process: it prints what is there, then what arrives.
    func testFollowPrintsNewEventsAsTheyArrive() throws {
        let folder = TemporaryFolder()
        let ledger = folder.file("l.db")
        XCTAssertEqual(try Remedy.run(["append", "--init", "--ledger", ledger, "--stream", "fix-1", "--type", "A", "--data", "{}"]).status, 0)
        let (follower, output) = try Remedy.start(["events", "--follow", "--category", "fix", "--ledger", ledger])
        defer { if follower.isRunning { follower.terminate() } }
        XCTAssertTrue(waitUntil(seconds: 10) { output.text.split(separator: "\n").count == 1 })
        XCTAssertEqual(try Remedy.run(["append", "--init", "--ledger", ledger, "--stream", "run-1", "--type", "A", "--data", "{}"]).status, 0)
        XCTAssertEqual(try Remedy.run(["append", "--init", "--ledger", ledger, "--stream", "fix-2", "--type", "A", "--data", #"{"late":1}"#]).status, 0)
        XCTAssertTrue(waitUntil(seconds: 10) { output.text.split(separator: "\n").count == 2 }, output.text)
        XCTAssertTrue(output.text.split(separator: "\n")[1].hasPrefix(#"{"data":{"late":1}"#))
        XCTAssertTrue(follower.isRunning, "following keeps going until interrupted")
        follower.interrupt()
        follower.waitUntilExit()
    }
}
