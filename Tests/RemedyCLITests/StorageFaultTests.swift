import Foundation
import XCTest

/// Storage faults a CI machine meets: a disk that fills up mid-batch (the file size limit,
/// `ulimit -f`, stands in for a small filesystem: SQLite sees the same refused write), an
/// output folder that fills up or is missing, a ledger made read-only for a while. Each ends
/// with one line and a documented exit code, the ledger as it was, and the next command
/// working. `Tools/reliability/fault-campaign.py` does the same on real full filesystems.
final class StorageFaultTests: XCTestCase {
    private let folder = TemporaryFolder()

    /// `remedy ARGS` with the file size limit set to `limitBytes` (SIGXFSZ ignored, so that a
    /// write past it fails instead of killing the process).
    private func remedyWithFileLimit(_ limitBytes: Int, _ arguments: [String]) throws -> Remedy.Output {
        try Remedy.run(["-c", "trap '' XFSZ; ulimit -f \(limitBytes / 512); exec \"$0\" \"$@\"", Remedy.binary.path] + arguments,
                       executable: "/bin/sh")
    }

    private func batch(_ events: Int, tag: String) -> String {
        var text = ""
        for n in 0..<events {
            text += #"{"type":"NoteTaken","stream":"notes-\#(n % 20)","data":{"n":\#(n),"tag":"\#(tag)","text":"\#(String(repeating: "x", count: 200))"}}"# + "\n"
        }
        return folder.write("batch-\(tag).ndjson", text)
    }

    private func events(_ ledger: String) throws -> Int {
        let status = try Remedy.run(["status", "--json", "--ledger", ledger])
        let object = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
        return try XCTUnwrap(object?["events"] as? Int, status.stderr)
    }

    func testABatchIntoAFullDiskFailsWithOneLineAndLeavesTheLedgerWritable() throws {
        let ledger = folder.file("ledger.db")
        XCTAssertEqual(try Remedy.run(["init", "--ledger", ledger]).status, 0)
        XCTAssertEqual(try Remedy.run(["append", "--ledger", ledger, "--ndjson", batch(500, tag: "first")]).status, 0)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: ledger)[.size] as? Int)
        // Room for about a tenth of the batch.
        let full = try remedyWithFileLimit(size + 512 * 1024, ["append", "--ledger", ledger, "--ndjson", batch(20_000, tag: "second")])
        XCTAssertEqual(full.status, 7, full.stderr)
        XCTAssertTrue(full.stderr.hasPrefix("remedy: error: cannot append to the ledger \(ledger):"), full.stderr)
        XCTAssertEqual(full.stderr.split(separator: "\n").count, 1, full.stderr)
        XCTAssertEqual(try events(ledger), 500, "nothing of the batch is there")
        XCTAssertEqual(try Remedy.run(["verify", "--ledger", ledger]).status, 0)
        let again = try Remedy.run(["append", "--ledger", ledger, "--ndjson", batch(20_000, tag: "second")])
        XCTAssertEqual(again.status, 0, "with room again, the same batch goes in: " + again.stderr)
        XCTAssertEqual(try events(ledger), 20_500)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("ledger.db") }.sorted(),
                       ["ledger.db", "ledger.db-shm", "ledger.db-wal"])
    }

    /// An export or a backup whose folder fills up: exit 7 (storage), nothing under the final
    /// name and nothing beside it; a missing output folder: exit 5.
    func testAnOutputThatDoesNotFitOrHasNoFolderLeavesNothing() throws {
        let ledger = folder.file("ledger.db")
        let key = folder.file("remedy.key")
        try Remedy.seedExampleEvents(ledger)
        XCTAssertEqual(try Remedy.run(["append", "--ledger", ledger, "--ndjson", batch(5_000, tag: "bulk")]).status, 0)
        XCTAssertEqual(try Remedy.run(["key", "generate", "--ledger", ledger, "--out", key]).status, 0)
        XCTAssertEqual(try Remedy.run(["checkpoint", "--ledger", ledger, "--key", key]).status, 0)
        // Caught up first: the limit below would otherwise stop the ledger's own writes.
        XCTAssertEqual(try Remedy.run(["projections", "rebuild", "--ledger", ledger]).status, 0)
        let out = folder.path + "/out"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        for (command, name) in [("export", "audit.tar.gz"), ("backup", "backup.db")] {
            let result = try remedyWithFileLimit(64 * 1024, [command, "--ledger", ledger, "--out", out + "/" + name])
            XCTAssertEqual(result.status, 7, command + ": " + result.stderr)
            XCTAssertTrue(result.stderr.hasPrefix("remedy: error: cannot write \(out)/\(name)"), result.stderr)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out), [], "\(command) left files behind")
        }
        let missing = try Remedy.run(["export", "--ledger", ledger, "--out", folder.path + "/gone/audit.tar.gz"])
        XCTAssertEqual(missing.status, 5, missing.stderr)
        XCTAssertTrue(missing.stderr.contains("No such file or directory"), missing.stderr)
    }

    /// A ledger made read-only for a while, read meanwhile, then writable again: the first
    /// write after succeeds. (SQLite gives an empty `-wal` the database file's mode whenever it
    /// opens it, a reader included; remedy gives it back before writing.) Runs as `nobody`
    /// when the tests run as root, whom file modes do not stop.
    func testTheFirstWriteAfterAReadOnlySpellSucceeds() throws {
        var prefix: [String] = []
        var executable: String? = nil
        if geteuid() == 0 {
            executable = "/usr/sbin/runuser"
            prefix = ["-u", "nobody", "--", Remedy.binary.path]
            chmod(folder.path, 0o777)
        }
        func remedy(_ arguments: [String]) throws -> Remedy.Output { try Remedy.run(prefix + arguments, executable: executable) }
        let ledger = folder.file("ledger.db")
        XCTAssertEqual(try remedy(["init", "--ledger", ledger]).status, 0)
        let note = ["append", "--ledger", ledger, "--type", "NoteTaken", "--stream", "notes-1", "--data", "{}"]
        XCTAssertEqual(try remedy(note).status, 0)
        chmod(ledger, 0o444)
        let refused = try remedy(note)
        XCTAssertEqual(refused.status, 5, refused.stderr)
        XCTAssertEqual(try remedy(["verify", "--ledger", ledger]).status, 0, "a read-only ledger still verifies")
        chmod(ledger, 0o644)
        let first = try remedy(note)
        XCTAssertEqual(first.status, 0, "the first write once writable again: " + first.stderr)
        XCTAssertEqual(try events(ledger), 2)
    }

    /// A creator killed mid-transaction (an import or `init` killed while SQLite wrote its
    /// first pages) leaves a file whose first page is not written yet and a hot journal beside
    /// it. That is no ledger yet: the next import rolls the journal back and creates the ledger
    /// in place, leaving no journal behind. (The crash campaign found it: the next import said
    /// "not a remedy ledger".)
    func testAnImportIntoAFileAKilledCreatorLeftMidTransactionCreatesTheLedger() throws {
        let source = folder.file("source.db"), key = folder.file("remedy.key"), bundle = folder.file("audit.tar.gz")
        try Remedy.seedExampleEvents(source)
        let generated = try Remedy.run(["key", "generate", "--ledger", source, "--out", key])
        XCTAssertEqual(generated.status, 0, generated.stderr)
        XCTAssertEqual(try Remedy.run(["export", "--ledger", source, "--key", key, "--out", bundle]).status, 0)
        // The sqlite3 shell, killed with a transaction open whose pages spilled to the file.
        let target = folder.file("imported.db")
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        shell.arguments = ["sqlite3", target]
        let input = Pipe()
        shell.standardInput = input
        shell.standardOutput = FileHandle.nullDevice
        try shell.run()
        input.fileHandleForWriting.write(Data("""
            PRAGMA journal_mode=DELETE; PRAGMA cache_size=1; BEGIN; CREATE TABLE t(x);
            WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 3000) INSERT INTO t SELECT randomblob(2000) FROM c;

            """.utf8))
        XCTAssertTrue(waitUntil(seconds: 20) { (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? Int) ?? 0 > 1_000_000 })
        kill(shell.processIdentifier, SIGKILL)
        shell.waitUntilExit()
        XCTAssertTrue(FileManager.default.fileExists(atPath: target + "-journal"), "the killed shell left a hot journal")
        let imported = try Remedy.run(["import", bundle, "--key", generated.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "--ledger", target])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertEqual(try events(target), try events(source))
        XCTAssertFalse(FileManager.default.fileExists(atPath: target + "-journal"))
    }
}
