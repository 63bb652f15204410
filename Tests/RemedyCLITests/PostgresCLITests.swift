import Foundation
import XCTest
import DemoStory

/// The CLI against a real PostgreSQL server (`REMEDY_TEST_POSTGRES`, as the PostgreSQL store's
/// own tests use it): skipped with a message without one, required in CI.
final class PostgresCLITests: XCTestCase {
    private let folder = TemporaryFolder()
    private var schemas: [String] = []

    private func server() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        guard let address = environment["REMEDY_TEST_POSTGRES"], !address.isEmpty else {
            if environment["REMEDY_REQUIRE_POSTGRES"] == "1" { XCTFail("REMEDY_REQUIRE_POSTGRES=1 but REMEDY_TEST_POSTGRES names no server") }
            throw XCTSkip("no PostgreSQL server: set REMEDY_TEST_POSTGRES=postgres://user@host:port/db")
        }
        return address
    }

    /// A ledger address in a new schema, dropped after the test (with `psql`, as an operator would).
    private func freshLedger() throws -> String {
        let schema = "cli_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        schemas.append(String(schema))
        return try server() + "?schema=\(schema)"
    }

    /// Runs `sql` with `psql` and returns its unaligned output.
    private func psql(_ address: String, _ sql: String) throws -> String {
        let result = try Remedy.run(["psql", "-qtA", address, "-c", sql], executable: "/usr/bin/env")
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A bulk append of 60,000 events into a new ledger, started, with its connection's
    /// backend process id once the server lists it.
    private func startBulkAppend() throws -> (ledger: String, append: Process, errors: LockedData, backend: Int32) {
        let ledger = try freshLedger()
        XCTAssertEqual(try Remedy.run(["init", "--ledger", ledger]).status, 0)
        var batch = ""
        for n in 0..<60_000 { batch += #"{"type":"NoteTaken","stream":"notes-\#(n % 40)","data":{"n":\#(n)}}"# + "\n" }
        let file = folder.write("batch.ndjson", batch)
        let address = try server()
        let since = try psql(address, "SELECT now()")
        let errors = LockedData()
        let (append, _) = try Remedy.start(["append", "--ledger", ledger, "--ndjson", file], stderr: errors)
        var backend: Int32?
        _ = waitUntil(seconds: 20) {
            backend = (try? psql(address, """
                SELECT pid FROM pg_stat_activity WHERE backend_start >= '\(since)' AND pid <> pg_backend_pid()
                  AND backend_type = 'client backend' LIMIT 1
                """)).flatMap { Int32($0) }
            return backend != nil || !append.isRunning
        }
        guard let backend, append.isRunning else {
            append.terminate()
            throw XCTSkip("the append ended before its connection could be ended")
        }
        return (ledger, append, errors, backend)
    }

    /// After its connection was ended under it: remedy ended (it did not wait forever on a
    /// statement whose answer cannot come) with exit 5 and one line naming the lost
    /// connection, and none of the batch is there.
    private func assertEndedClearly(_ append: Process, _ errors: LockedData, ledger: String, file: StaticString = #filePath, line: UInt = #line) throws {
        defer { if append.isRunning { append.terminate() } }
        XCTAssertTrue(waitUntil(seconds: 30) { !append.isRunning }, "remedy still waits on a connection the server ended", file: file, line: line)
        errors.waitForEnd(seconds: 10)
        XCTAssertEqual(append.terminationStatus, 5, errors.text, file: file, line: line)
        XCTAssertTrue(errors.text.hasPrefix("remedy: error: lost the connection to the PostgreSQL ledger"), errors.text, file: file, line: line)
        XCTAssertEqual(errors.text.split(separator: "\n").count, 1, errors.text, file: file, line: line)
        XCTAssertTrue(waitUntil(seconds: 30) { (try? Remedy.run(["status", "--json", "--ledger", ledger]))?.status == 0 },
                      "the server did not come back", file: file, line: line)
        let status = try Remedy.run(["status", "--json", "--ledger", ledger])
        XCTAssertTrue(status.stdout.hasPrefix(#"{"events":0,"#), status.stdout, file: file, line: line)
    }

    /// An operator ends the connection (`pg_terminate_backend`: SQLSTATE 57P01) mid-append.
    func testAConnectionTerminatedMidAppendFailsClearlyAndKeepsNothing() throws {
        let (ledger, append, errors, backend) = try startBulkAppend()
        XCTAssertEqual(try psql(try server(), "SELECT pg_terminate_backend(\(backend))"), "t")
        try assertEndedClearly(append, errors, ledger: ledger)
    }

    /// The connection's server process dies mid-append as in `pg_ctl stop -m immediate` or a
    /// crash (SIGQUIT: a warning, then the socket closes): postgres-nio 1.33 left the
    /// statement waiting forever. The server restarts its other processes; the test waits for
    /// it. Needs the right to signal the server's processes (CI runs as root).
    func testAServerProcessDyingMidAppendFailsClearlyAndKeepsNothing() throws {
        let (ledger, append, errors, backend) = try startBulkAppend()
        guard kill(backend, SIGQUIT) == 0 else {
            append.terminate()
            if ProcessInfo.processInfo.environment["REMEDY_REQUIRE_POSTGRES"] == "1" && geteuid() == 0 { XCTFail("cannot signal the server's process") }
            throw XCTSkip("cannot signal the PostgreSQL server's processes (not root or the server's owner)")
        }
        try assertEndedClearly(append, errors, ledger: ledger)
    }

    override func tearDown() {
        guard let address = try? server() else { return }
        for schema in schemas {
            let psql = Process()
            psql.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            psql.arguments = ["psql", "-q", address, "-c", "DROP SCHEMA IF EXISTS \(schema) CASCADE"]
            psql.standardOutput = FileHandle.nullDevice
            psql.standardError = FileHandle.nullDevice
            try? psql.run()
            psql.waitUntilExit()
        }
    }

    /// `remedy migrate` copies a file into PostgreSQL and back: the events print the same,
    /// the copy verifies with the same root, and a second migrate into the full ledger is
    /// refused (exit 4) without changing it.
    func testMigrateToPostgresAndBack() throws {
        let postgres = try freshLedger()
        let source = folder.file("source.db"), back = folder.file("back.db")
        try Remedy.seedExampleEvents(source)
        let there = try Remedy.run(["migrate", "--from", source, "--to", postgres, "--json"])
        XCTAssertEqual(there.status, 0, there.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(there.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(summary?["events"] as? Int, 20)
        XCTAssertEqual(summary?["tree_size"] as? Int, 20)
        XCTAssertFalse(there.stdout.contains("password"))
        let home = try Remedy.run(["migrate", "--from", postgres, "--to", back])
        XCTAssertEqual(home.status, 0, home.stderr)
        XCTAssertTrue(home.stdout.hasPrefix("migrated 20 events and 0 checkpoints from postgres://"), home.stdout)
        XCTAssertEqual(try Remedy.run(["events", "--ledger", back]).stdout, try Remedy.run(["events", "--ledger", source]).stdout)
        let verified = try Remedy.run(["verify", "--ledger", back])
        XCTAssertEqual(verified.status, 0, verified.stderr)
        XCTAssertTrue(verified.stdout.contains(summary?["root"] as? String ?? "?"), verified.stdout)

        // The same migration again (one killed after its commit, retried) copies nothing.
        let again = try Remedy.run(["migrate", "--from", source, "--to", postgres])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.hasPrefix("migrated 0 events"), again.stdout)
        // Another history (the source went on) is refused, the target left as it was.
        XCTAssertEqual(try Remedy.run(["append", "--ledger", source, "--stream", "note-1", "--type", "Noted", "--data", "{}"]).status, 0)
        let other = try Remedy.run(["migrate", "--from", source, "--to", postgres])
        XCTAssertEqual(other.status, 4, other.stderr)
        XCTAssertTrue(other.stderr.contains("holds 20 events already"), other.stderr)
        let unreachable = try Remedy.run(["migrate", "--from", source, "--to", "postgres://someone:s3cret@127.0.0.1:1/none"])
        XCTAssertEqual(unreachable.status, 5, unreachable.stderr)
        XCTAssertTrue(unreachable.stderr.contains("postgres://someone@127.0.0.1:1/none"), unreachable.stderr)
        XCTAssertFalse(unreachable.stderr.contains("s3cret"), unreachable.stderr)
    }

    /// The loop's commands on PostgreSQL answer exactly as on a SQLite file: the same output
    /// and exit code at every step (ingest, diagnose, propose, gate, review, merged, a
    /// verifying run, checkpoint, proofs, status, verify), and the same events but for their
    /// generated ids and times.
    func testTheLoopRunsTheSameOnPostgresAsOnAFile() throws {
        let postgres = try freshLedger(), file = folder.file("loop.db")
        let key = folder.file("ledger.key")
        XCTAssertEqual(try Remedy.run(["key", "generate", "--name", "ci.example.com/acme/evals", "--out", key]).status, 0)
        let run1 = folder.write("run-1.xml", AvalancheStory.reports.first { $0.name == "run-1" }!.xml)
        let run2 = folder.write("run-2.xml", AvalancheStory.reports.first { $0.name == "run-2" }!.xml)
        let steps: [[String]] = [
            ["init", "--origin", "ci.example.com/acme/evals"],
            ["ingest", run1, "--suite", "avalanche-golden", "--run", "1", "--commit", "4f2c9e1", "--json"],
            ["diagnose", "failure-1", "--lever", "skill", "--target", "date-normalizer", "--by", "agent:triage", "--confidence", "0.8"],
            ["propose", "failure-1", "--fix", "fix-1", "--change", "https://git/pr/1", "--blast-radius", "low", "--by", "agent:fixer"],
            ["gate", "fix-1", "--json"],
            ["review", "fix-1", "--approve", "--by", "dana", "--comment", "ok"],
            ["merged", "fix-1", "--commit", "8a3b7c2"],
            ["ingest", run2, "--suite", "avalanche-golden", "--run", "2", "--commit", "8a3b7c2"],
            ["append", "--stream", "deploy-1", "--type", "DeploymentRecorded", "--data", #"{"to":"staging"}"#],
            ["checkpoint", "--key", key, "--json"],
            ["prove", "inclusion", "3"],
            ["verify", "--json"],
        ]
        for step in steps {
            let onFile = try Remedy.run(step + ["--ledger", file])
            let onPostgres = try Remedy.run(step + ["--ledger", postgres])
            XCTAssertEqual(onPostgres.status, onFile.status, "\(step): \(onPostgres.stderr)")
            let comparable = step[0] == "init" || step[0] == "checkpoint" || step[0] == "prove" || step[0] == "verify" || step[0] == "ingest"
                ? { (text: String) in text.replacingOccurrences(of: postgres, with: "LEDGER").replacingOccurrences(of: file, with: "LEDGER") }
                : { (text: String) in text }
            if !["checkpoint", "prove", "verify"].contains(step[0]) {   // those carry the roots, which hold ids and times
                XCTAssertEqual(comparable(onPostgres.stdout), comparable(onFile.stdout), "\(step)")
            }
        }
        func shape(_ ledger: String) throws -> [String] {
            try Remedy.run(["events", "--ledger", ledger]).stdoutLines.map {
                $0.replacingOccurrences(of: #""id":"[^"]*""#, with: "ID", options: .regularExpression)
                    .replacingOccurrences(of: #""recorded_at":"[^"]*""#, with: "AT", options: .regularExpression)
                    .replacingOccurrences(of: #""(run_id|started_at|finished_at)":"[^"]*""#, with: "X", options: .regularExpression)
            }
        }
        XCTAssertEqual(try shape(postgres), try shape(file))
        XCTAssertGreaterThan(try shape(postgres).count, 20)

        // What people read: the same answers now and as of earlier points (times and ages aside).
        let detected = try JSONLine(try Remedy.run(["events", "--type", "FailureDetected", "--limit", "1", "--ledger", file]).stdout)
        let firstCase = try XCTUnwrap(detected.child("data")?.string("case"))
        let reads: [[String]] = [
            ["guards", "--json"], ["health", "--json"], ["next", "--json"], ["ratchet", "--json"], ["regressions", "--json"],
            ["stats", "--by", "type", "--json"], ["why", firstCase, "--suite", "avalanche-golden", "--json"], ["case", firstCase, "--suite", "avalanche-golden", "--json"],
            ["guards", "--json", "--as-of", "20"], ["health", "--json", "--as-of", "run:1"], ["next", "--json", "--as-of", "12"],
            ["report", "--markdown"],
        ]
        func timeless(_ text: String) -> String {
            text.replacingOccurrences(of: #""([a-z_]*_ms|since_at|at|recorded_at|as_of_time)":("[^"]*"|[0-9]+|\{[^}]*\})"#, with: "T", options: .regularExpression)
                .replacingOccurrences(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"#, with: "T", options: .regularExpression)
                // A report's ages in words (`2s`, `1m 5s`): the two ledgers were made seconds apart.
                .replacingOccurrences(of: #"\| [0-9]+(ms|s|m|h|d)( [0-9]+(ms|s|m|h|d))* \|"#, with: "| AGE |", options: .regularExpression)
        }
        for read in reads {
            let onFile = try Remedy.run(read + ["--ledger", file]), onPostgres = try Remedy.run(read + ["--ledger", postgres])
            XCTAssertEqual(onPostgres.status, onFile.status, "\(read): \(onPostgres.stderr)")
            XCTAssertEqual(timeless(onPostgres.stdout), timeless(onFile.stdout), "\(read)")
            XCTAssertFalse(onPostgres.stdout.isEmpty, "\(read)")
        }
        let status = try Remedy.run(["status", "--ledger", postgres])
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("ledger      \(LedgerAddressText(postgres))"), status.stdout)
    }

    /// `events --follow` on PostgreSQL prints what was stored, then each event committed
    /// afterwards, woken by the commit's notification.
    func testFollowPrintsEventsAsTheyAreCommitted() throws {
        let postgres = try freshLedger()
        XCTAssertEqual(try Remedy.run(["append", "--init", "--ledger", postgres, "--stream", "deploy-1", "--type", "DeploymentRecorded", "--data", "{}"]).status, 0)
        let (follower, printed) = try Remedy.start(["events", "--follow", "--ledger", postgres])
        defer { follower.terminate(); follower.waitUntilExit() }
        for n in 2...4 {
            XCTAssertEqual(try Remedy.run(["append", "--ledger", postgres, "--stream", "deploy-1", "--type", "DeploymentRecorded", "--data", #"{"n":\#(n)}"#]).status, 0)
        }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, String(decoding: printed.value, as: UTF8.self).split(separator: "\n").count < 4 { usleep(20_000) }
        let lines = String(decoding: printed.value, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.count, 4, "\(lines)")
        XCTAssertTrue(lines.last?.contains(#""n":4"#) == true, "\(lines)")
        XCTAssertTrue(lines.last?.contains(#""position":4"#) == true, "\(lines)")
    }

    /// Audit bundles cross the two stores unchanged: a bundle exported from a file imports into
    /// PostgreSQL and exports from there byte for byte the same, and back into a file again;
    /// `backup` of a PostgreSQL ledger writes a file that verifies with the same root.
    func testBundlesAndBackupsCrossTheStoresByteForByte() throws {
        let postgres = try freshLedger(), file = folder.file("demo.db")
        XCTAssertEqual(try Remedy.run(["demo", "--ledger", file]).status, 0)
        let vkey = try Remedy.run(["key", "generate", "--ledger", file, "--out", folder.file("k")]).stdoutLines[0]
        let first = folder.file("a.tar.gz"), second = folder.file("b.tar.gz"), third = folder.file("c.tar.gz")
        XCTAssertEqual(try Remedy.run(["export", "--ledger", file, "--out", first, "--key", folder.file("k")]).status, 0)
        let imported = try Remedy.run(["import", first, "--key", vkey, "--ledger", postgres, "--json"])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.contains(#""created":true"#), imported.stdout)
        XCTAssertEqual(try Remedy.run(["export", "--ledger", postgres, "--out", second]).status, 0)
        XCTAssertEqual(FileManager.default.contents(atPath: second), FileManager.default.contents(atPath: first), "the same bundle from PostgreSQL")
        XCTAssertEqual(try Remedy.run(["import", second, "--key", vkey, "--ledger", folder.file("back.db")]).status, 0)
        XCTAssertEqual(try Remedy.run(["export", "--ledger", folder.file("back.db"), "--out", third]).status, 0)
        XCTAssertEqual(FileManager.default.contents(atPath: third), FileManager.default.contents(atPath: first), "and from the file made of it")

        let backup = try Remedy.run(["backup", "--ledger", postgres, "--out", folder.file("backup.db"), "--json"])
        XCTAssertEqual(backup.status, 0, backup.stderr)
        let root = try JSONLine(backup.stdout).string("root")
        XCTAssertTrue(try Remedy.run(["verify", "--ledger", folder.file("backup.db")]).stdout.contains(root ?? "?"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("backup.db-wal")), "one file, no -wal beside it")
        XCTAssertEqual(try Remedy.run(["backup", "--ledger", postgres, "--out", folder.file("backup.db")]).status, 4, "not over an existing file")
    }

    /// `remedy demo` plays its story into a PostgreSQL ledger as into a file.
    func testTheDemoPlaysIntoPostgres() throws {
        let postgres = try freshLedger()
        let demo = try Remedy.run(["demo", "--ledger", postgres])
        XCTAssertEqual(demo.status, 0, demo.stderr)
        XCTAssertTrue(demo.stdout.contains("verified 52 events"), demo.stdout)
        XCTAssertEqual(try Remedy.run(["demo", "--ledger", postgres]).status, 8, "a ledger with events is not a demo's")
    }

    /// A batch on PostgreSQL, read ahead and looked up in bulk: ids repeated across a flush are
    /// duplicates, a batch appended again writes nothing, and the first bad line is the one
    /// named even when a later line does not parse either.
    func testBatchesOnPostgresKeepTheirMeaning() throws {
        let postgres = try freshLedger()
        func id(_ n: Int) -> String { "01936a52-0000-7000-8000-" + String(repeating: "0", count: 12 - String(n).count) + String(n) }
        var lines = (1...1_200).map { #"{"stream":"deploy-\#($0 % 9)","type":"DeploymentRecorded","id":"\#(id($0))","data":{"n":\#($0)}}"# }
        lines.append(lines[3])   // the same event again, 1,196 lines (and two flushes) later
        let batch = folder.write("batch.ndjson", lines.joined(separator: "\n") + "\n")
        let first = try Remedy.run(["append", "--init", "--ledger", postgres, "--ndjson", batch])
        XCTAssertEqual(first.stdout, "appended 1200 events at positions 1-1200, 1 already present\n", first.stderr)
        let again = try Remedy.run(["append", "--ledger", postgres, "--ndjson", batch])
        XCTAssertEqual(again.stdout, "appended 0 events, 1201 already present\n", again.stderr)

        var bad = (1...400).map { #"{"stream":"deploy-9","type":"DeploymentRecorded","data":{"n":\#($0)}}"# }
        bad[1] = #"{"stream":"deploy-9","type":"DeploymentRecorded","id":"\#(id(5))","data":{"n":"changed"}}"#   // an id taken, other content
        bad[299] = "{not json"
        let refused = try Remedy.run(["append", "--ledger", postgres, "--ndjson", folder.write("bad.ndjson", bad.joined(separator: "\n") + "\n")])
        XCTAssertEqual(refused.status, 4, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("line 2: event id \(id(5)) already exists"), refused.stderr)
        bad[1] = bad[0]
        let unparsable = try Remedy.run(["append", "--ledger", postgres, "--ndjson", folder.write("bad2.ndjson", bad.joined(separator: "\n") + "\n")])
        XCTAssertEqual(unparsable.status, 2, unparsable.stderr)
        XCTAssertTrue(unparsable.stderr.contains("line 300"), unparsable.stderr)
        XCTAssertEqual(try Remedy.run(["status", "--ledger", postgres, "--json"]).stdout.contains(#""events":1200"#), true, "nothing of the refused batches")
    }

    /// An address as remedy prints it: without a password, with its schema.
    private func LedgerAddressText(_ address: String) -> String {
        address.replacingOccurrences(of: "postgresql://", with: "postgres://")
    }

    /// A fleet's `loop run`s against one PostgreSQL ledger: two at once never hand one item to
    /// two handlers, and the loop carries a lint failure to a merged fix there too.
    func testTwoLoopRunsShareAPostgresLedger() throws {
        let ledger = try freshLedger()
        let failing = (1...4).map { #"<testcase classname="src.lint" name="E\#($0)"><failure message="line too long"/></testcase>"# }.joined()
        let report = folder.write("lint.xml", #"<testsuite name="s" tests="5">\#(failing)<testcase classname="src" name="ok"/></testsuite>"#)
        let clean = folder.write("clean.xml", #"<testsuite name="s" tests="5">\#((1...4).map { #"<testcase classname="src.lint" name="E\#($0)"/>"# }.joined())<testcase classname="src" name="ok"/></testsuite>"#)
        XCTAssertEqual(try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "s", "--run", "1", "--kind", "lint", report]).status, 0)
        func script(_ name: String, _ body: String) -> String {
            let path = folder.write(name, "#!/bin/sh\ncat > /dev/null\n" + body + "\n")
            chmod(path, 0o755)
            return path
        }
        let propose = script("propose.sh", #"echo "$REMEDY_ITEM" >> proposed.log; sleep 0.2; echo "{\"fix\": \"fix-$REMEDY_ITEM\", \"change\": \"b\", \"blast_radius\": \"low\"}""#)
        let verify = script("verify.sh", #"echo '{"reports": ["\#(clean)"]}'"#)
        let merge = script("merge.sh", #"echo '{"commit": "abc"}'"#)
        let config = folder.write("loop.json", #"{"handlers": {"propose": {"command": ["\#(propose)"]}, "verify": {"command": ["\#(verify)"]}, "merge": {"command": ["\#(merge)"]}}}"#)
        let runs = try (0..<2).map { _ in try Remedy.start(["loop", "run", "--ledger", ledger, "--config", config], directory: folder.path).0 }
        for process in runs { process.waitUntilExit() }
        XCTAssertEqual(runs.map(\.terminationStatus), [0, 0])
        let proposed = try String(contentsOfFile: folder.file("proposed.log"), encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(proposed.sorted(), (1...4).map { "failure-\($0)" }, "each failure proposed exactly once")
        XCTAssertEqual(try Remedy.run(["events", "--ledger", ledger, "--type", "FixMerged"]).stdoutLines.count, 4)
        XCTAssertEqual(try Remedy.run(["verify", "--ledger", ledger]).status, 0)
    }
}
