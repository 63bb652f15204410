import Foundation
import XCTest
import Events
import LedgerStore

/// The trust the issue asks for, through the real binary: only `init` creates a ledger, a
/// copied ledger file holds every event, a read-only ledger answers every reading command,
/// keys, checkpoints, proofs and bundles from the command line.
final class TrustCLITests: XCTestCase {
    private let folder = TemporaryFolder()

    /// A ledger with the demo story in it: runs, failures, fixes, gates, guards.
    private func storyLedger(_ name: String = "story.db") throws -> String {
        let ledger = folder.file(name)
        let demo = try Remedy.run(["demo", "--ledger", ledger])
        XCTAssertEqual(demo.status, 0, demo.stderr)
        return ledger
    }

    /// Every command but `init`, `demo` and `--init` refuses a missing ledger, names it and
    /// `remedy init`, and creates nothing; not even the default folder.
    func testAMissingLedgerIsNeverCreatedSilently() throws {
        let missing = folder.file("missing.db")
        let commands: [[String]] = [
            ["status"], ["verify"], ["events"], ["show", "1"], ["guards"], ["guards", "--list"], ["why", "x"], ["ratchet"],
            ["ratchet", "check", "--run", "1"], ["health"], ["next"], ["case", "x"], ["diff", "1", "2"], ["regressions"], ["stats"],
            ["report", "--markdown"], ["export", "--out", folder.file("b.tar.gz")], ["checkpoint", "--show"], ["prove", "inclusion", "1"],
            ["prove", "consistency", "--from", "1"], ["append", "--stream", "a-1", "--type", "A", "--data", "{}"],
            ["ingest", folder.write("r.xml", "<testsuite name=\"s\"><testcase name=\"t\"/></testsuite>"), "--suite", "s", "--run", "1"],
            ["diagnose", "failure-1", "--lever", "code", "--target", "t", "--by", "agent:x"], ["gate", "a"], ["merged", "a", "--commit", "abc"],
            ["policy", "show"], ["projections", "rebuild"], ["backup", "--out", folder.file("copy.db")], ["key", "generate", "--out", folder.file("k")],
        ]
        for command in commands {
            let result = try Remedy.run(command + ["--ledger", missing])
            XCTAssertEqual(result.status, 5, "\(command): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains("no ledger at \(missing)") && result.stderr.contains("remedy init"), "\(command): \(result.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: missing), "\(command) created the ledger")
        }
        let status = try Remedy.run(["status"], directory: folder.path)
        XCTAssertEqual(status.status, 5)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file(".remedy")), "nor the default folder")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("k")), "nor a key")
    }

    func testInitGivesAPermanentOrigin() throws {
        let ledger = folder.file("named.db")
        let created = try Remedy.run(["init", "--ledger", ledger, "--origin", "ci.example.com/acme/evals", "--json"])
        XCTAssertEqual(created.stdout, #"{"created":true,"ledger":"\#(ledger)","origin":"ci.example.com/acme/evals"}"# + "\n")
        let again = try Remedy.run(["init", "--ledger", ledger])
        XCTAssertEqual(again.status, 0)
        XCTAssertEqual(again.stdout, "ledger \(ledger) exists; origin ci.example.com/acme/evals\n")
        let other = try Remedy.run(["init", "--ledger", ledger, "--origin", "other.example/log"])
        XCTAssertEqual(other.status, 4)
        XCTAssertTrue(other.stderr.contains("exists with origin ci.example.com/acme/evals; an origin is permanent"), other.stderr)
        XCTAssertEqual(try Remedy.run(["init", "--ledger", folder.file("bad.db"), "--origin", "has space"]).status, 64)
        let generated = try Remedy.run(["init", "--ledger", folder.file("generated.db")])
        XCTAssertTrue(generated.stdout.contains("origin remedy.ledger/"), generated.stdout)
    }

    /// Eight first runs in scripts at once, on the same missing ledger: one ledger, eight events.
    func testEightAppendInitsOnOneMissingLedgerMakeOneLedger() throws {
        let ledger = folder.file("race.db")
        let group = DispatchGroup()
        let results = LockedResults(count: 8)
        for index in 0..<8 {
            DispatchQueue.global().async(group: group) {
                let result = (try? Remedy.run(["append", "--init", "--ledger", ledger, "--stream", "race-\(index)", "--type", "A", "--data", "{}"]))
                results.set(index, result ?? Remedy.Output(status: -1, stdout: "", stderr: "did not run"))
            }
        }
        group.wait()
        for result in results.all { XCTAssertEqual(result.status, 0, result.stderr) }
        XCTAssertEqual(Set(results.all.map(\.stdout)), Set((1...8).map { "\($0)\n" }))
        let status = try Remedy.run(["status", "--ledger", ledger, "--json"])
        XCTAssertTrue(status.stdout.contains(#""events":8,"#), status.stdout)
        XCTAssertEqual(try Remedy.run(["verify", "--ledger", ledger]).status, 0)
    }

    /// After any command, the ledger file alone (what cp or a CI artifact upload takes) holds
    /// every committed event, even while another process holds the ledger open.
    func testACopiedLedgerFileHoldsEveryEvent() throws {
        let ledger = try storyLedger()
        let (follower, _) = try Remedy.start(["events", "--follow", "--ledger", ledger])
        defer { follower.terminate(); follower.waitUntilExit() }
        for index in 0..<5 {
            XCTAssertEqual(try Remedy.run(["append", "--ledger", ledger, "--stream", "copy-1", "--type", "A", "--data", #"{"i":\#(index)}"#]).status, 0)
            XCTAssertEqual(try Remedy.run(["guards", "--ledger", ledger]).status, 0)
        }
        let expected = try Remedy.run(["status", "--ledger", ledger, "--json"]).stdout.components(separatedBy: #""tree_head":"#)[1]
        let copy = folder.file("copy.db")
        try FileManager.default.copyItem(atPath: ledger, toPath: copy)
        XCTAssertFalse(FileManager.default.fileExists(atPath: copy + "-wal"))
        let copied = try Remedy.run(["status", "--ledger", copy, "--json"])
        XCTAssertEqual(copied.status, 0, copied.stderr)
        XCTAssertEqual(copied.stdout.components(separatedBy: #""tree_head":"#)[1], expected, "every event, the same root")
        XCTAssertEqual(try Remedy.run(["verify", "--ledger", copy]).status, 0)
    }

    /// Another user who may only read, or a downloaded copy in a read-only folder: every
    /// reading command answers, and nothing is written beside the ledger.
    func testAReadOnlyLedgerAnswersEveryReadingCommand() throws {
        let ledger = try storyLedger()
        XCTAssertEqual(try Remedy.run(["key", "generate", "--ledger", ledger, "--out", folder.file("signing.key")]).status, 0)
        XCTAssertEqual(try Remedy.run(["checkpoint", "--ledger", ledger, "--key", folder.file("signing.key")]).status, 0)
        let reader = ReadOnlyUser()
        let exports = NSTemporaryDirectory() + "remedy-exports-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: exports, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o777])
        defer { try? FileManager.default.removeItem(atPath: exports) }

        // A downloaded copy: the ledger file alone, in a folder nobody may write.
        let downloaded = folder.file("downloaded")
        try FileManager.default.createDirectory(atPath: downloaded, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: ledger, toPath: downloaded + "/ledger.db")
        for (name, path) in [("another user's ledger", ledger), ("a copy in a read-only folder", downloaded + "/ledger.db")] {
            let parent = (path as NSString).deletingLastPathComponent
            try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path)
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: parent)
            defer {
                try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: parent)
                try? FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
            }
            let before = try FileManager.default.contentsOfDirectory(atPath: parent).sorted()
            let bytes = FileManager.default.contents(atPath: path)
            for command in [["status"], ["verify"], ["events", "--limit", "3"], ["show", "1"], ["guards"], ["guards", "--list"],
                            ["why", "forecast.bulletins::slf-date-format"], ["ratchet"], ["health"], ["next"],
                            ["case", "forecast.bulletins::slf-date-format"], ["regressions"], ["stats"], ["report", "--markdown"],
                            ["checkpoint", "--show"], ["prove", "inclusion", "3"], ["prove", "consistency", "--from", "2"],
                            ["export", "--out", exports + "/\(UUID().uuidString).tar.gz"]] {
                let result = try reader.run(command + ["--ledger", path])
                XCTAssertEqual(result.status, 0, "\(name): \(command): \(result.stderr)")
                XCTAssertFalse(result.stdout.isEmpty, "\(name): \(command) answered nothing")
                XCTAssertFalse(result.stderr.contains("readonly"), "\(name): \(command): \(result.stderr)")
            }
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent).sorted(), before, "\(name): nothing written beside it")
            XCTAssertEqual(FileManager.default.contents(atPath: path), bytes, "\(name): the file unchanged")
            let append = try reader.run(["append", "--ledger", path, "--stream", "a-1", "--type", "A", "--data", "{}"])
            XCTAssertEqual(append.status, 5, append.stderr)
        }

        // A -wal a killed writer left beside a copy nobody may change: read without it, and said.
        let wal = downloaded + "/ledger.db-wal"
        XCTAssertTrue(FileManager.default.createFile(atPath: wal, contents: Data(repeating: 7, count: 4096)))
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: downloaded)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: downloaded) }
        let status = try reader.run(["status", "--ledger", downloaded + "/ledger.db"])
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stderr.hasPrefix("remedy: note: \(wal) holds 4096 bytes"), status.stderr)
    }

    /// Export by checkpoint size and by time, and nothing left behind when an export fails.
    func testExportRangesAndFailedExportsLeaveNothing() throws {
        let ledger = try storyLedger()
        let keyFile = folder.file("signing.key")
        let vkey = try Remedy.run(["key", "generate", "--ledger", ledger, "--out", keyFile]).stdout.trimmingCharacters(in: .newlines)
        let before = try Remedy.run(["export", "--ledger", ledger, "--out", folder.file("none.tar.gz")])
        XCTAssertEqual(before.status, 2)
        XCTAssertTrue(before.stderr.contains("no signed checkpoint is stored"), before.stderr)
        let first = try SignedCheckpoint(parsing: Array(try Remedy.run(["checkpoint", "--ledger", ledger, "--key", keyFile]).stdout.utf8))
        let since = Timestamp(millisecondsSinceEpoch: Timestamp.now().millisecondsSinceEpoch + 5)
        usleep(20_000)
        for index in 0..<3 {
            XCTAssertEqual(try Remedy.run(["append", "--ledger", ledger, "--stream", "late-1", "--type", "Late", "--data", #"{"i":\#(index)}"#]).status, 0)
        }
        XCTAssertEqual(try Remedy.run(["checkpoint", "--ledger", ledger, "--key", keyFile]).status, 0)

        let older = folder.file("older.tar.gz")
        let byCheckpoint = try Remedy.run(["export", "--ledger", ledger, "--checkpoint", String(first.checkpoint.size), "--out", older, "--json"])
        XCTAssertEqual(byCheckpoint.status, 0, byCheckpoint.stderr)
        XCTAssertTrue(byCheckpoint.stdout.contains(#""to":\#(first.checkpoint.size),"tree_size":\#(first.checkpoint.size)"#), byCheckpoint.stdout)
        XCTAssertEqual(try Remedy.run(["verify-bundle", older, "--key", vkey]).status, 0)

        let late = folder.file("late.tar.gz")
        let byTime = try Remedy.run(["export", "--ledger", ledger, "--since", since.description, "--out", late, "--json"])
        XCTAssertEqual(byTime.status, 0, byTime.stderr)
        XCTAssertTrue(byTime.stdout.contains(#""events":3,"#) && byTime.stdout.contains(#""from":\#(first.checkpoint.size + 1),"#), byTime.stdout)
        let verified = try Remedy.run(["verify-bundle", late, "--key", vkey, "--known-checkpoint", folder.write("first.txt", String(decoding: first.bytes, as: UTF8.self))])
        XCTAssertEqual(verified.status, 0, verified.stderr)
        XCTAssertTrue(verified.stdout.contains("extends the kept checkpoint of size \(first.checkpoint.size)"), verified.stdout)

        // A part from the first event, cut by time: its own inclusion proofs, no kept checkpoint needed.
        let early = folder.file("early.tar.gz")
        let byUntil = try Remedy.run(["export", "--ledger", ledger, "--until", since.description, "--out", early, "--json"])
        XCTAssertEqual(byUntil.status, 0, byUntil.stderr)
        XCTAssertTrue(byUntil.stdout.contains(#""from":1,"#) && byUntil.stdout.contains(#""to":\#(first.checkpoint.size),"tree_size":\#(first.checkpoint.size + 3)"#),
                      byUntil.stdout)
        let earlyVerified = try Remedy.run(["verify-bundle", early, "--key", vkey])
        XCTAssertEqual(earlyVerified.status, 0, earlyVerified.stderr)
        XCTAssertTrue(earlyVerified.stdout.contains("read models: as the manifest lists them, not rebuilt from the events (--replay checks them)"), earlyVerified.stdout)

        // An existing file is replaced only with --force, and the ledger itself never.
        let kept = FileManager.default.contents(atPath: late)
        let exists = try Remedy.run(["export", "--ledger", ledger, "--out", late])
        XCTAssertEqual(exists.status, 4)
        XCTAssertTrue(exists.stderr.contains("\(late) exists already; choose another --out, or pass --force"), exists.stderr)
        XCTAssertEqual(FileManager.default.contents(atPath: late), kept)
        XCTAssertEqual(try Remedy.run(["export", "--ledger", ledger, "--out", late, "--force"]).status, 0)
        XCTAssertNotEqual(FileManager.default.contents(atPath: late), kept, "the whole ledger now")
        let ledgerBytes = FileManager.default.contents(atPath: ledger)
        let itself = try Remedy.run(["export", "--ledger", ledger, "--out", ledger, "--force"])
        XCTAssertEqual(itself.status, 4)
        XCTAssertTrue(itself.stderr.contains("is the ledger itself"), itself.stderr)
        XCTAssertEqual(FileManager.default.contents(atPath: ledger), ledgerBytes)

        let refused = try Remedy.run(["export", "--ledger", ledger, "--checkpoint", "2", "--out", folder.file("refused.tar.gz")])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("no checkpoint of size 2 is stored"), refused.stderr)
        let left = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        XCTAssertFalse(left.contains { $0.contains("partial") || $0 == "refused.tar.gz" || $0 == "none.tar.gz" }, "\(left)")
    }

    func testKeysCheckpointsProofsAndAKeptCheckpoint() throws {
        let ledger = try storyLedger()
        let keyFile = folder.file("signing.key")
        let generated = try Remedy.run(["key", "generate", "--ledger", ledger, "--out", keyFile])
        XCTAssertEqual(generated.status, 0, generated.stderr)
        let vkey = generated.stdout.trimmingCharacters(in: .newlines)
        XCTAssertNoThrow(try NoteVerifierKey(vkey))
        let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        let overwrite = try Remedy.run(["key", "generate", "--ledger", ledger, "--out", keyFile])
        XCTAssertEqual(overwrite.status, 4)
        XCTAssertTrue(overwrite.stderr.contains("never overwritten"), overwrite.stderr)

        let first = try Remedy.run(["checkpoint", "--ledger", ledger, "--key", keyFile])
        XCTAssertEqual(first.status, 0, first.stderr)
        let kept = folder.write("kept.txt", first.stdout)
        XCTAssertEqual(try Remedy.run(["checkpoint", "--show", "--ledger", ledger]).stdout, first.stdout, "the exact note bytes are stored")
        let signed = try SignedCheckpoint(parsing: Array(first.stdout.utf8))
        XCTAssertNoThrow(try signed.verify(trusting: [try NoteVerifierKey(vkey)]))

        let proof = try Remedy.run(["prove", "inclusion", "7", "--ledger", ledger])
        XCTAssertEqual(proof.status, 0, proof.stderr)
        let parsed = try TlogProof(parsing: Array(proof.stdout.utf8))
        XCTAssertEqual(parsed.index, 6)
        let event = try Remedy.run(["events", "--ledger", ledger, "--from", "7", "--limit", "1"]).stdout.dropLast()
        XCTAssertNoThrow(try parsed.verify(leaf: MerkleTree.leafHash(Array(event.utf8)), trusting: [try NoteVerifierKey(vkey)]))

        XCTAssertEqual(try Remedy.run(["append", "--ledger", ledger, "--stream", "a-1", "--type", "A", "--data", "{}"]).status, 0)
        let extended = try Remedy.run(["verify", "--ledger", ledger, "--checkpoint", kept, "--key", vkey])
        XCTAssertEqual(extended.status, 0, extended.stderr)
        XCTAssertTrue(extended.stdout.contains("extends the checkpoint of size \(signed.checkpoint.size)"), extended.stdout)
        let consistency = try Remedy.run(["prove", "consistency", "--from", String(signed.checkpoint.size), "--ledger", ledger, "--json"])
        XCTAssertTrue(consistency.stdout.contains(#""from":\#(signed.checkpoint.size)"#), consistency.stdout)

        // A checkpoint of another history, signed with the same key, is not extended: exit 1.
        let other = try storyLedger("other.db")
        XCTAssertEqual(try Remedy.run(["append", "--ledger", other, "--stream", "b-1", "--type", "B", "--data", "{}"]).status, 0)
        let stranger = try Remedy.run(["checkpoint", "--ledger", other, "--key", keyFile])
        let foreign = folder.write("foreign.txt", stranger.stdout)
        let refused = try Remedy.run(["verify", "--ledger", ledger, "--checkpoint", foreign, "--key", vkey])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("origin"), refused.stderr)
        let unsigned = try Remedy.run(["verify", "--ledger", ledger, "--checkpoint", kept, "--key", try NoteSignerKey(generatingFor: "x").verifier.text])
        XCTAssertEqual(unsigned.status, 1, unsigned.stderr)
    }

    /// verify-bundle's exit codes are a contract: 0 verified, 1 failed, 2 usage or I/O.
    func testExportVerifyBundleImportAndBackupFromTheCommandLine() throws {
        let ledger = try storyLedger()
        let keyFile = folder.file("signing.key")
        let vkey = try Remedy.run(["key", "generate", "--ledger", ledger, "--out", keyFile]).stdout.trimmingCharacters(in: .newlines)
        let bundle = folder.file("audit.tar.gz")
        let export = try Remedy.run(["export", "--ledger", ledger, "--key", keyFile, "--out", bundle, "--json"])
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertTrue(export.stdout.contains(#""events_after_checkpoint":0"#), export.stdout)
        let verified = try Remedy.run(["verify-bundle", bundle, "--key", vkey, "--replay"])
        XCTAssertEqual(verified.status, 0, verified.stderr)
        XCTAssertTrue(verified.stdout.contains("read models rebuilt from the events: equal"), verified.stdout)

        let data = try XCTUnwrap(FileManager.default.contents(atPath: bundle))
        let cut = folder.file("cut.tar.gz")
        XCTAssertTrue(FileManager.default.createFile(atPath: cut, contents: data.prefix(data.count - 40)))
        let failed = try Remedy.run(["verify-bundle", cut, "--key", vkey, "--json"])
        XCTAssertEqual(failed.status, 1)
        XCTAssertTrue(failed.stdout.hasPrefix(#"{"earlier_checkpoints":[],"events":null"#) && failed.stdout.contains(#""verified":false"#), failed.stdout)
        XCTAssertTrue(failed.stderr.hasPrefix("remedy: error: \(cut) does not verify: "), failed.stderr)
        XCTAssertEqual(try Remedy.run(["verify-bundle", folder.file("none.tar.gz"), "--key", vkey]).status, 2)
        XCTAssertEqual(try Remedy.run(["verify-bundle", bundle]).status, 2, "no key: usage")
        XCTAssertEqual(try Remedy.run(["verify-bundle", bundle, "--key", "not-a-key"]).status, 2)

        // Stream names and types with quotes and backslashes come back exactly.
        let odd = folder.file("odd.db")
        XCTAssertEqual(try Remedy.run(["init", "--ledger", odd, "--origin", "ci.example.com/odd"]).status, 0)
        let oddKey = folder.file("odd.key")
        let oddVkey = try Remedy.run(["key", "generate", "--ledger", odd, "--out", oddKey]).stdout.trimmingCharacters(in: .newlines)
        let appended = try Remedy.run(["append", "--ledger", odd, "--stream", #"say-"hi"\there"#, "--type", "Said", "--data", #"{"w":"\u00e9\"\n"}"#])
        XCTAssertEqual(appended.status, 0, appended.stderr)
        let oddBundle = folder.file("odd.tar.gz")
        XCTAssertEqual(try Remedy.run(["export", "--ledger", odd, "--key", oddKey, "--out", oddBundle]).status, 0)
        let oddCopy = folder.file("odd-copy.db")
        let oddImport = try Remedy.run(["import", oddBundle, "--key", oddVkey, "--ledger", oddCopy])
        XCTAssertEqual(oddImport.status, 0, oddImport.stderr)
        let shown = try Remedy.run(["events", "--ledger", oddCopy, "--stream", #"say-"hi"\there"#])
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertTrue(shown.stdout.contains(#""stream":"say-\"hi\"\\there","stream_version":1,"type":"Said"}"#), shown.stdout)
        XCTAssertEqual(try Remedy.run(["verify", "--ledger", oddCopy]).status, 0)
        let oddAgain = folder.file("odd-again.tar.gz")
        XCTAssertEqual(try Remedy.run(["export", "--ledger", oddCopy, "--out", oddAgain]).status, 0)
        XCTAssertEqual(FileManager.default.contents(atPath: oddAgain), FileManager.default.contents(atPath: oddBundle), "byte-identical")

        let restored = folder.file("restored.db")
        let imported = try Remedy.run(["import", bundle, "--key", vkey, "--ledger", restored])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let reexported = folder.file("again.tar.gz")
        XCTAssertEqual(try Remedy.run(["export", "--ledger", restored, "--out", reexported]).status, 0)
        XCTAssertEqual(FileManager.default.contents(atPath: reexported), data, "byte-identical")

        // A backup while a writer appends a large batch: a complete, verifiable ledger.
        let batch = folder.write("batch.ndjson", (0..<20_000).map { #"{"stream":"bulk-\#($0 % 50)","type":"Bulk","data":{"i":\#($0)}}"# }.joined(separator: "\n"))
        let (writer, _) = try Remedy.start(["append", "--ledger", ledger, "--ndjson", batch])
        let backup = try Remedy.run(["backup", "--ledger", ledger, "--out", folder.file("backup.db")])
        writer.waitUntilExit()
        XCTAssertEqual(backup.status, 0, backup.stderr)
        XCTAssertEqual(try Remedy.run(["verify", "--ledger", folder.file("backup.db")]).status, 0)
        XCTAssertEqual(try Remedy.run(["backup", "--ledger", ledger, "--out", folder.file("backup.db")]).status, 4, "not replaced without --force")
    }
}

/// Runs remedy as a user who may only read: `nobody` (through setpriv) when the tests run as
/// root, who may write anything; otherwise the current user, for whom read-only modes hold.
final class ReadOnlyUser {
    /// A copy of the binary nobody can run (the build folder may be under /root), removed after.
    private var binary: String?

    deinit { if let binary { try? FileManager.default.removeItem(atPath: binary) } }

    func run(_ arguments: [String]) throws -> Remedy.Output {
        guard geteuid() == 0 else { return try Remedy.run(arguments) }
        let setpriv = "/usr/bin/setpriv"
        guard FileManager.default.isExecutableFile(atPath: setpriv) else {
            throw CocoaError(.executableNotLoadable, userInfo: [NSLocalizedDescriptionKey: "running as another user needs \(setpriv) (util-linux)"])
        }
        if binary == nil {
            let copy = NSTemporaryDirectory() + "remedy-readonly-user-" + UUID().uuidString
            try FileManager.default.copyItem(atPath: Remedy.binary.path, toPath: copy)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy)
            binary = copy
        }
        return try Remedy.run(["--reuid=65534", "--regid=65534", "--clear-groups", binary!] + arguments, executable: setpriv)
    }
}
