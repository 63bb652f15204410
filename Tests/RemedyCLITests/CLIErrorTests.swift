import Foundation
import XCTest
@testable import LedgerStore
import SystemIO

/// Every fault in the issue gets one stderr line, its documented exit code, and an unchanged ledger.
final class CLIErrorTests: XCTestCase {
    private var folder: TemporaryFolder!
    var ledger: String!

    override func setUpWithError() throws {
        folder = TemporaryFolder()
        ledger = folder.file("ledger.db")
        try Remedy.seedExampleEvents(ledger)
        XCTAssertEqual(try Remedy.run(["append", "--init", "--ledger", ledger, "--stream", "fix-42", "--type", "A", "--data", "{}",
                                       "--id", "0192f5e4-7c1a-7cc3-9a57-2f4e1d0b8a11"]).status, 0)
    }

    /// Everything a reader can see of the ledger: every stored byte, in order.
    func snapshot() throws -> String {
        try Remedy.run(["events", "--ledger", ledger]).stdout
    }

    private func assertFails(_ arguments: [String], input: Data? = nil, exit: Int32, _ fragment: String,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try snapshot()
        let result = try Remedy.run(arguments, input: input)
        XCTAssertEqual(result.status, exit, "\(arguments): \(result.stderr)", file: file, line: line)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one line on stderr: \(result.stderr)", file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("remedy: error: "), result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(fragment), "\(result.stderr) lacks \(fragment)", file: file, line: line)
        XCTAssertEqual(result.stdout, "", file: file, line: line)
        XCTAssertEqual(try snapshot(), before, "the ledger is unchanged", file: file, line: line)
    }

    func testInvalidEventsExitTwo() throws {
        let base = ["append", "--init", "--ledger", ledger!, "--type", "A"]
        try assertFails(base + ["--stream", "fix-1", "--data", #"{"a":"#], exit: 2, "malformed JSON at byte 5")
        try assertFails(base + ["--stream", "fix-1", "--data", "[1,2]"], exit: 2, "must be a JSON object, not an array")
        try assertFails(base + ["--stream", "fix 1", "--data", "{}"], exit: 2, "invalid stream name 'fix 1'")
        try assertFails(base + ["--stream", "fix1", "--data", "{}"], exit: 2, "no '-' between category and id")
        try assertFails(base + ["--stream", "fix-1", "--data", #"{"score":0.5}"#], exit: 2, "write decimals")
        let latin1 = folder.file("latin1.json")
        _ = FileManager.default.createFile(atPath: latin1, contents: Data([0x7B, 0x22, 0x6E, 0x22, 0x3A, 0x22, 0x63, 0x61, 0x66, 0xE9, 0x22, 0x7D]))
        try assertFails(base + ["--stream", "fix-1", "--data", "@" + latin1], exit: 2, "invalid UTF-8")
        try assertFails(base + ["--stream", "fix-1"], input: Data("not json".utf8), exit: 2, "malformed JSON")
        try assertFails(base + ["--stream", "fix-1", "--data", "@" + folder.file("nope.json")], exit: 2, "cannot read")
        let huge = folder.write("huge.json", #"{"s":""# + String(repeating: "x", count: 1 << 20) + "\"}")
        try assertFails(base + ["--stream", "fix-1", "--data", "@" + huge], exit: 2, "1048576 bytes")
    }

    func testBadBatchesExitTwoAndNameTheLine() throws {
        let bad = folder.write("bad.ndjson", """
            {"stream":"fix-1","type":"A","data":{}}
            {"stream":"fix-2","type":"A","data":{"n":1}
            {"stream":"fix-3","type":"A","data":{}}
            """)
        try assertFails(["append", "--init", "--ledger", ledger!, "--ndjson", bad], exit: 2, "line 2: malformed JSON")
        let empty = folder.write("empty.ndjson", "")
        try assertFails(["append", "--init", "--ledger", ledger!, "--ndjson", empty], exit: 2, "the batch is empty")
        let long = #"{"stream":"a-1","type":"A","data":{"s":""# + String(repeating: "x", count: 1 << 20) + "\"}}"
        try assertFails(["append", "--init", "--ledger", ledger!, "--ndjson", "-"], input: Data((#"{"stream":"a-1","type":"A","data":{}}"# + "\n" + long + "\n").utf8),
                        exit: 2, "line 2: the line is longer than 1048576 bytes")
        try assertFails(["append", "--init", "--ledger", ledger!, "--ndjson", "-"], input: Data(#"{"stream":"a-1","type":"A","data":{},"colour":1}"#.utf8),
                        exit: 2, "line 1: unknown field \"colour\"")
    }

    func testConcurrencyConflictsHaveTheirOwnExitCodes() throws {
        try assertFails(["append", "--init", "--ledger", ledger!, "--stream", "fix-42", "--type", "A", "--data", "{}", "--expect-version", "3"],
                        exit: 3, "Wrong expected version: 3 (stream: fix-42, current version: 6)")
        try assertFails(["append", "--init", "--ledger", ledger!, "--stream", "fix-42", "--type", "A", "--data", "{}", "--expect-new"],
                        exit: 3, "Wrong expected version: 0 (stream: fix-42, current version: 6)")
        try assertFails(["append", "--init", "--ledger", ledger!, "--stream", "fix-42", "--type", "B", "--data", "{}", "--id", "0192f5e4-7c1a-7cc3-9a57-2f4e1d0b8a11"],
                        exit: 4, "already exists at position 21 with different content")
        // The same event again is not an error: it prints the original position.
        let retry = try Remedy.run(["append", "--init", "--ledger", ledger!, "--stream", "fix-42", "--type", "A", "--data", "{ }",
                                    "--id", "0192F5E4-7C1A-7CC3-9A57-2F4E1D0B8A11", "--expect-new"])
        XCTAssertEqual(retry.status, 0, retry.stderr)
        XCTAssertEqual(retry.stdout, "21\n")
    }

    func testUnusableLedgersExitFive() throws {
        let notes = folder.write("notes.txt", String(repeating: "not a database\n", count: 100))
        let notesBefore = FileManager.default.contents(atPath: notes)
        try assertFails(["append", "--init", "--ledger", notes, "--stream", "a-1", "--type", "A", "--data", "{}"], exit: 5, "not a SQLite database")
        try assertFails(["events", "--ledger", notes], exit: 5, "not a SQLite database")
        XCTAssertEqual(FileManager.default.contents(atPath: notes), notesBefore)

        try assertFails(["append", "--init", "--ledger", folder.file("no/such/folder/ledger.db"), "--stream", "a-1", "--type", "A", "--data", "{}"],
                        exit: 5, "does not exist")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("no")))
        try assertFails(["status", "--ledger", folder.file("absent.db")], exit: 5, "no ledger at")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("absent.db")))
        try assertFails(["show", "999", "--ledger", ledger!], exit: 5, "no event at position 999")

        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: ledger)
        try assertFails(["append", "--init", "--ledger", ledger!, "--stream", "a-1", "--type", "A", "--data", "{}"], exit: 5, "read-only")
        XCTAssertEqual(try Remedy.run(["verify", "--ledger", ledger!]).status, 0, "a read-only ledger can still be verified")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: ledger)

        do {
            let store = try Ledger.open(LedgerPath(path: ledger), mode: .readWrite, create: .ifMissing())
            try store.connection.execute("INSERT INTO schema_migrations VALUES (42, 'future', '2030-01-01T00:00:00.000Z')")
        }
        try assertFails(["append", "--init", "--ledger", ledger!, "--stream", "a-1", "--type", "A", "--data", "{}"], exit: 5, "schema version 42, newer than this remedy")
        try assertFails(["events", "--ledger", ledger!], exit: 5, "upgrade remedy")
    }

    func testUsageErrorsExitSixtyFour() throws {
        let result = try Remedy.run(["append", "--init", "--ledger", ledger!, "--type", "A", "--data", "{}"])
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("--stream"), result.stderr)
        XCTAssertEqual(try Remedy.run(["append", "--init", "--ledger", ledger!, "--ndjson", "-", "--stream", "a-1"]).status, 64)
    }

    func testVerifyExitsOneAndNamesThePosition() throws {
        do {
            let store = try Ledger.open(LedgerPath(path: ledger), mode: .readWrite, create: .ifMissing())
            try store.connection.execute("DROP TRIGGER events_are_append_only_update")
            try store.connection.execute("UPDATE events SET body = CAST(replace(CAST(body AS TEXT), 'bpm', 'BPM') AS BLOB) WHERE position = 2")
        }
        let result = try Remedy.run(["verify", "--ledger", ledger!])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.stderr, "remedy: error: verification failed at position 2: the stored bytes do not match the event's leaf hash\n")
        let json = try Remedy.run(["verify", "--ledger", ledger!, "--json"])
        XCTAssertEqual(json.status, 1)
        XCTAssertTrue(json.stdout.contains(#""valid":false,"verified_size":1"#), json.stdout)
        XCTAssertTrue(json.stdout.contains(#""first_bad_position":2"#), json.stdout)
    }
}

extension CLIErrorTests {
    /// A writer that cannot get the ledger within its busy timeout exits 6 and writes nothing.
    func testABusyLedgerExitsSixAfterTheTimeout() throws {
        let holder = try Ledger.open(LedgerPath(path: ledger), mode: .readWrite, create: .ifMissing())
        try holder.connection.execute("BEGIN IMMEDIATE")
        let before = try snapshot()
        let result = try Remedy.run(["append", "--init", "--ledger", ledger!, "--busy-timeout", "0.2", "--stream", "a-1", "--type", "A", "--data", "{}"])
        XCTAssertEqual(result.status, 6, result.stderr)
        XCTAssertTrue(result.stderr.hasPrefix("remedy: error: the ledger \(ledger!) is busy: another writer held it for more than 0.2 s"), result.stderr)
        try holder.connection.execute("ROLLBACK")
        XCTAssertEqual(try snapshot(), before)
        XCTAssertEqual(try Remedy.run(["append", "--init", "--ledger", ledger!, "--stream", "a-1", "--type", "A", "--data", "{}"]).stdout, "22\n")
    }
}

extension CLIErrorTests {
    /// Arguments with invalid UTF-8 are refused, not silently repaired into U+FFFD.
    func testInvalidUTF8InArgumentsIsRefused() throws {
        let before = try snapshot()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "exec '\(Remedy.binary.path)' append --ledger '\(ledger!)' --stream a-1 --type A --data \"$(printf '{\"n\":\"caf\\351\"}')\""]
        let stderr = Pipe()
        process.standardError = stderr
        try process.run()
        let message = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 2, message)
        XCTAssertEqual(message, "remedy: error: argument 9 is not valid UTF-8\n")
        XCTAssertEqual(try snapshot(), before)
    }

    /// Bad input fails before a ledger is created.
    func testBadInputCreatesNoLedger() throws {
        let fresh = folder.file("fresh.db")
        let result = try Remedy.run(["append", "--init", "--ledger", fresh, "--stream", "a-1", "--type", "A", "--data", "{oops"])
        XCTAssertEqual(result.status, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fresh))
        let batch = try Remedy.run(["append", "--init", "--ledger", fresh, "--ndjson", folder.file("missing.ndjson")])
        XCTAssertEqual(batch.status, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fresh))
        XCTAssertEqual(try Remedy.run(["append", "--init", "--ledger", fresh, "--ndjson", "-", "--schema-version", "2"]).status, 64)
    }

    /// A batch still arriving on standard input does not hold the write lock: others append.
    func testASlowBatchOnStandardInputDoesNotBlockOtherWriters() throws {
        let input = Pipe()
        let (slow, _) = try Remedy.start(["append", "--init", "--ledger", ledger!, "--ndjson", "-"], stdin: input)
        input.fileHandleForWriting.write(Data(#"{"stream":"slow-1","type":"A","data":{}}"#.utf8 + [0x0A]))
        usleep(300_000)
        let quick = try Remedy.run(["append", "--init", "--ledger", ledger!, "--busy-timeout", "1", "--stream", "quick-1", "--type", "A", "--data", "{}"])
        XCTAssertEqual(quick.status, 0, quick.stderr)
        XCTAssertEqual(quick.stdout, "22\n")
        try input.fileHandleForWriting.close()
        slow.waitUntilExit()
        XCTAssertEqual(slow.terminationStatus, 0)
        XCTAssertEqual(try Remedy.run(["events", "--ledger", ledger!, "--stream", "slow-1"]).stdoutLines.count, 1)
    }

    /// The read models' commands: a bad question is one line and an exit code, and leaves the
    /// events as they were.
    func testReadModelCommandsRefuseBadQuestionsClearly() throws {
        try assertFails(["report", "--ledger", ledger, "--html", folder.file("no/such/folder/r.html")], exit: 7, "cannot write")
        try assertFails(["health", "--ledger", ledger, "--skill", "nope"], exit: 8, "no skill nope")
        try assertFails(["case", "no::such", "--ledger", ledger], exit: 8, "no case no::such")
        try assertFails(["report", "--ledger", ledger, "--as-of", "run:99"], exit: 8, "no run 99")
        try assertFails(["ratchet", "check", "--run", "99", "--ledger", ledger], exit: 8, "no run 99")
        try assertFails(["health", "--ledger", folder.file("missing.db")], exit: 5, "no ledger at")
        // A word outside a closed set is refused while parsing (exit 64), naming the words.
        let period = try Remedy.run(["stats", "--ledger", ledger, "--by", "skill", "--period", "year"])
        XCTAssertEqual(period.status, 64)
        XCTAssertTrue(period.stderr.contains("Please provide one of 'day', 'week', 'month' or 'all'."), period.stderr)
    }

    /// A catalogue event type with another shape is refused on the way in, and so is one of a
    /// newer schema version (this remedy cannot check it). One that reached the ledger anyway
    /// (written by a newer remedy) stops the read models with its position.
    func testCatalogueEventsMustHaveTheCataloguesFields() throws {
        try assertFails(["append", "--init", "--ledger", ledger, "--stream", "failure-9", "--type", "FailureDetected", "--data", #"{"failure":"failure-9"}"#],
                        exit: 2, #"FailureDetected payloads must have the catalogue's fields"#)
        try assertFails(["append", "--init", "--ledger", ledger, "--stream", "run-s/1", "--type", "CaseOutcomeRecorded", "--data", #"{"case":"","attempt":1,"status":"pass"}"#],
                        exit: 2, #"CaseOutcomeRecorded payloads must have the catalogue's fields (Events/Catalogue/schemas/CaseOutcomeRecorded.schema.json): "case": must not be empty"#)
        let newer = #"{"stream":"failure-9","type":"FailureDetected","schema_version":2,"data":{"failure":"failure-9"}}"#
        try assertFails(["append", "--ledger", ledger, "--ndjson", "-"], input: Data(newer.utf8), exit: 2,
                        "line 1: FailureDetected of schema version 2 is not one this remedy can check")
        do {
            let store = try Ledger.open(LedgerPath(path: ledger), mode: .readWrite)
            try store.appendNDJSON(from: LineReader(batchAt: folder.write("newer.ndjson", newer)))
        }
        try assertFails(["guards", "--ledger", ledger], exit: 7, "(FailureDetected) does not fold into the")
    }
}
