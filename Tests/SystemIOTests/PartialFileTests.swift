#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import XCTest
@testable import SystemIO

/// A partial file a killed writer left (unlocked) is removed by the next writer of the same
/// name, with SQLite's files beside it; one a living writer holds is not.
final class PartialFileTests: XCTestCase {
    private var folder = ""

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "remedy-partial-\(UUID().uuidString)/"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
    }

    func testAKilledWritersPartialFileIsRemovedByTheNextWriter() throws {
        // What a killed backup leaves: its partial copy and SQLite's journal, no lock held.
        for name in [".backup.db.partial-AbC123", ".backup.db.partial-AbC123-journal", ".other.db.partial-XyZ789"] {
            _ = FileManager.default.createFile(atPath: folder + name, contents: Data("half".utf8))
        }
        let living = try PartialFile(finalPath: folder + "backup.db")
        XCTAssertEqual(try names(), [".backup.db.partial-" + living.temporaryPath.suffix(6), ".other.db.partial-XyZ789"].sorted(),
                       "the abandoned file and its journal are gone; another name's file is not touched")
        // A second writer of the same name while the first lives leaves the first's file alone.
        let second = try PartialFile(finalPath: folder + "backup.db")
        XCTAssertTrue(FileManager.default.fileExists(atPath: living.temporaryPath))
        try living.commit()
        try second.commit()
        XCTAssertEqual(try names(), [".other.db.partial-XyZ789", "backup.db"])
    }

    /// The writer's own lock does not stand in the way of what it writes with: a ledger opened
    /// on the partial file takes its `flock` (a backup of a PostgreSQL ledger writes a SQLite
    /// ledger there), and that does not count as the writer being gone.
    func testTheLivenessLockLeavesFlockToTheWriter() throws {
        let living = try PartialFile(finalPath: folder + "copy.db")
        let other = open(living.temporaryPath, O_RDWR)
        defer { close(other) }
        XCTAssertEqual(flock(other, LOCK_EX | LOCK_NB), 0, "flock is free for the writer's ledger")
        #if os(Linux)
        XCTAssertFalse(PartialFile.liveness(other), "the writer's lock is held")
        #endif
        PartialFile.removeAbandoned(folder: folder, name: "copy.db")
        XCTAssertTrue(FileManager.default.fileExists(atPath: living.temporaryPath), "a living writer's file stays")
        try living.commit()
    }

    /// A writer that gives up (a backup that met a full disk) removes its partial file and the
    /// journal SQLite left beside it: nothing stays in the output folder.
    func testAFailedWriterRemovesItsFileAndTheJournalBesideIt() throws {
        do {
            let failed = try PartialFile(finalPath: folder + "backup.db")
            _ = FileManager.default.createFile(atPath: failed.temporaryPath + "-journal", contents: Data("rollback".utf8))
            XCTAssertEqual(try names().count, 2)
        }
        XCTAssertEqual(try names(), [], "the partial file and its journal are gone once the writer gave up")
    }
}
