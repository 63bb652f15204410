import Foundation
import XCTest

/// What remedy creates, and what its handlers get, gives nobody more than they need: no file
/// or folder it makes is writable by others even under `umask 000`, a signing key is readable
/// by its owner alone, and a handler process holds no descriptor of the ledger or a key and
/// no key in its environment.
final class LeastPrivilegeTests: XCTestCase {
    private let folder = TemporaryFolder()

    /// `remedy ARGS` under `umask 000`, the most permissive a CI runner could set.
    private func remedyWithOpenUmask(_ arguments: [String], directory: String? = nil) throws -> Remedy.Output {
        try Remedy.run(["-c", "umask 000; exec \"$0\" \"$@\"", Remedy.binary.path] + arguments, directory: directory, executable: "/bin/sh")
    }

    private func mode(_ path: String) throws -> Int {
        try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int, path)
    }

    func testNothingRemedyCreatesIsWritableByOthersAndKeysAreTheOwnersAlone() throws {
        let work = folder.path
        XCTAssertEqual(try remedyWithOpenUmask(["init"], directory: work).status, 0)
        let ledger = work + "/.remedy/ledger.db"
        try Remedy.seedExampleEvents(ledger)
        let key = work + "/signing.key"
        let generated = try remedyWithOpenUmask(["key", "generate", "--ledger", ledger, "--out", key])
        XCTAssertEqual(generated.status, 0, generated.stderr)
        for arguments in [["checkpoint", "--ledger", ledger, "--key", key],
                          ["export", "--ledger", ledger, "--out", work + "/audit.tar.gz"],
                          ["backup", "--ledger", ledger, "--out", work + "/backup.db"],
                          ["report", "--ledger", ledger, "--html", work + "/report.html"]] {
            let result = try remedyWithOpenUmask(arguments)
            XCTAssertEqual(result.status, 0, arguments.joined(separator: " ") + ": " + result.stderr)
        }
        let verifier = generated.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try remedyWithOpenUmask(["import", work + "/audit.tar.gz", "--key", verifier, "--ledger", work + "/imported.db"]).status, 0)
        XCTAssertEqual(try mode(key), 0o600, "a signing key is its owner's alone")
        XCTAssertEqual(try mode(work + "/.remedy") & 0o022, 0, ".remedy/ is writable by others")
        var checked = 0
        for name in try FileManager.default.subpathsOfDirectory(atPath: work) where !name.hasSuffix(".ndjson") {
            let bits = try mode(work + "/" + name)
            XCTAssertEqual(bits & 0o002, 0, "\(name) is writable by anyone (mode \(String(bits, radix: 8)))")
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 9, "the ledger, its -wal and -shm, the key, bundle, backup, report, imported ledger")
    }

    /// A handler sees the ledger only through `remedy` and its `REMEDY_*` variables: none of
    /// remedy's open files (the ledger, its -wal, a key) is open in the handler, and nothing in
    /// its environment holds a key.
    func testAHandlerHoldsNoDescriptorOfTheLedgerAndNoKey() throws {
        let ledger = folder.file("l.db")
        let key = folder.file("signing.key")
        let report = folder.write("r.xml", #"<testsuite name="s"><testcase classname="a" name="b"><failure message="x"/></testcase></testsuite>"#)
        XCTAssertEqual(try Remedy.run(["ingest", "--init", "--ledger", ledger, "--suite", "s", "--run", "1", report]).status, 0)
        XCTAssertEqual(try Remedy.run(["key", "generate", "--ledger", ledger, "--out", key]).status, 0)
        let keyText = try String(contentsOfFile: key, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let seen = folder.file("seen.txt")
        let diagnose = folder.write("diagnose.sh", """
            #!/bin/sh
            cat > /dev/null
            for fd in /proc/$$/fd/*; do echo "fd $(readlink "$fd")"; done > \(seen)
            env | sed 's/^/env /' >> \(seen)
            echo '{"lever": "code", "target": "a.b"}'
            """)
        chmod(diagnose, 0o755)
        let config = folder.write("loop.json", #"{"handlers": {"diagnose": {"command": ["\#(diagnose)"]}}}"#)
        let run = try Remedy.run(["loop", "run", "--ledger", ledger, "--config", config], environment: ["SOME_TOKEN": "x"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = try String(contentsOfFile: seen, encoding: .utf8).split(separator: "\n").map(String.init)
        let descriptors = lines.filter { $0.hasPrefix("fd ") }
        XCTAssertFalse(descriptors.isEmpty, "the handler listed no descriptor at all")
        for line in descriptors {
            XCTAssertFalse(line.contains("l.db") || line.contains(".key"), "the handler holds remedy's file open: \(line)")
        }
        XCTAssertTrue(lines.contains("env REMEDY_STEP=diagnose"), lines.joined(separator: "\n"))
        XCTAssertFalse(lines.contains { $0.hasPrefix("env ") && $0.contains(keyText) }, "a key is in the handler's environment")
    }
}
