import Foundation
import XCTest

/// Short runs of the reliability campaigns under `Tools/reliability/`, each with its own
/// checks; the full campaigns run for hours (RELIABILITY.md).
final class ReliabilityCampaignTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private func campaign(_ script: String, _ arguments: [String]) throws -> Remedy.Output {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("remedy-\(script)-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        return try Remedy.run(["python3", root.appendingPathComponent("Tools/reliability/\(script).py").path,
                               "--remedy", Remedy.binary.path, "--work", work] + arguments, executable: "/usr/bin/env")
    }

    /// Crash injection: remedy killed at seeded moments inside each command that writes (and
    /// inside `loop run` or its handler), each kill followed by the campaign's checks (verify,
    /// all or nothing, read models equal a rebuild's, nothing left behind, the next command
    /// works), and copies of the ledger file taken mid-append, each a verified prefix.
    func testKillsInsideEveryWritingCommandLeaveNoAnomaly() throws {
        let run = try campaign("crash-campaign", ["--kills", "10", "--seed", "7"])
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains("9 kills, "), run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains(" copies, 0 anomalies"), run.stdout + run.stderr)
        XCTAssertFalse(run.stdout.contains(" 0 copies"), "the copy round took no copy: " + run.stdout)
    }

    /// Faults: a disk filling up mid-batch (a tmpfs as root, else the file size limit), an
    /// export or backup into a full folder, a ledger made read-only mid-append, its folder
    /// moved or removed; with a PostgreSQL server to hand (CI), one stopped mid-append.
    func testFullDisksReadOnlyAndVanishedFoldersLeaveNoAnomaly() throws {
        var faults = "disk-full,export-full,read-only,vanished"
        if ProcessInfo.processInfo.environment["REMEDY_TEST_POSTGRES"] != nil { faults += ",pg-stop" }
        let run = try campaign("fault-campaign", ["--rounds", "1", "--seed", "3", "--faults", faults])
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains(" faults, 0 anomalies"), run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains("disk-full append: exit 7"), "the disk never filled: " + run.stdout)
    }

    /// Hostile strings (SQL, shell metacharacters, control characters, 1 MB, not UTF-8) through
    /// every command that takes a string and every handler answer: refused in one printable
    /// line or stored byte for byte; no shell runs them; the ledger verifies.
    func testHostileStringsAreRefusedClearlyOrKeptExactly() throws {
        let run = try campaign("hostile-strings", [])
        XCTAssertEqual(run.status, 0, run.stdout + run.stderr)
        XCTAssertTrue(run.stdout.contains(" anomalies") && run.stdout.contains(", 0 anomalies"), run.stdout + run.stderr)
    }

    /// A short concurrency soak (`Tools/reliability/soak.py`): four writers and two readers for
    /// five seconds; every acknowledged write found once, the follower in order, none busy.
    func testAShortSoakLosesNothingAndRefusesNoneAsBusy() throws {
        let soak = try campaign("soak", ["--seconds", "5", "--writers", "4", "--readers", "2"])
        XCTAssertEqual(soak.status, 0, soak.stdout + soak.stderr)
        XCTAssertTrue(soak.stdout.contains("\n0 anomalies"), soak.stdout)
        XCTAssertTrue(soak.stdout.contains("acknowledged appends"), soak.stdout)
    }
}
