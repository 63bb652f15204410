import Foundation
import XCTest

/// A short run of the crash-injection campaign (`Tools/reliability/crash-campaign.py`): remedy
/// killed at seeded moments inside each command that writes, each kill followed by the
/// campaign's checks (verify, all or nothing, read models equal a rebuild's, nothing left
/// behind, the next command works), once in each. The full campaign runs thousands
/// (RELIABILITY.md).
final class CrashCampaignTests: XCTestCase {
    func testKillsInsideEveryWritingCommandLeaveNoAnomaly() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("remedy-crash-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let campaign = try Remedy.run(["python3", root.appendingPathComponent("Tools/reliability/crash-campaign.py").path,
                                       "--remedy", Remedy.binary.path, "--kills", "8", "--seed", "7", "--work", work],
                                      executable: "/usr/bin/env")
        XCTAssertEqual(campaign.status, 0, campaign.stdout + campaign.stderr)
        XCTAssertTrue(campaign.stdout.contains("8 kills, 0 anomalies"), campaign.stdout + campaign.stderr)
    }

    /// A short concurrency soak (`Tools/reliability/soak.py`): four writers and two readers for
    /// five seconds; every acknowledged write found once, the follower in order, none busy.
    func testAShortSoakLosesNothingAndRefusesNoneAsBusy() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("remedy-soak-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        let soak = try Remedy.run(["python3", root.appendingPathComponent("Tools/reliability/soak.py").path,
                                   "--remedy", Remedy.binary.path, "--seconds", "5", "--writers", "4", "--readers", "2", "--work", work],
                                  executable: "/usr/bin/env")
        XCTAssertEqual(soak.status, 0, soak.stdout + soak.stderr)
        XCTAssertTrue(soak.stdout.contains("\n0 anomalies"), soak.stdout)
        XCTAssertTrue(soak.stdout.contains("acknowledged appends"), soak.stdout)
    }
}
