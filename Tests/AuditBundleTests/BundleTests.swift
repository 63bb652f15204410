import Foundation
import XCTest
@testable import AuditBundle
import Events
@testable import LedgerStore
import RemediationLoop
import ReadViews

/// Export, verification and import of real bundles, and what standard tools make of them.
final class BundleTests: XCTestCase {
    func testExportIsDeterministicAndItsTarIsGNUTars() throws {
        let fixture = try BundleFixture()
        let again = fixture.file("again.tar.gz")
        _ = try BundleExporter(ledger: fixture.ledger, projections: ReadModels.all).export(.latestCheckpoint, to: again)
        XCTAssertEqual(FileManager.default.contents(atPath: again), FileManager.default.contents(atPath: fixture.bundle), "byte-identical")
        let bytes = try XCTUnwrap(FileManager.default.contents(atPath: fixture.bundle))
        XCTAssertEqual(Array(bytes.prefix(10)), [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF], "gzip header: no time, OS 255")

        // GNU tar, given the same members, writes the same tar.
        let extracted = fixture.file("extracted")
        try FileManager.default.createDirectory(atPath: extracted, withIntermediateDirectories: true)
        XCTAssertEqual(try runProgram("/bin/tar", ["xzf", fixture.bundle, "-C", extracted]).status, 0)
        let names = try BundleFixture.members(of: fixture.bundle).map(\.name)
        XCTAssertEqual(names, names.sorted())
        XCTAssertTrue(names.contains(BundleMember.manifest) && names.contains { $0.hasPrefix("read-models/") } && names.contains { $0.hasPrefix("policies/") })
        let gnu = fixture.file("gnu.tar")
        let tar = try runProgram("/bin/tar", ["--format=ustar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner",
                                              "--mode=0644", "-cf", gnu] + names, directory: extracted)
        XCTAssertEqual(tar.status, 0, tar.output)
        let ours = fixture.file("ours.tar")
        XCTAssertEqual(try runProgram("/bin/sh", ["-c", "gzip -dc '\(fixture.bundle)' > '\(ours)'"]).status, 0)
        XCTAssertEqual(FileManager.default.contents(atPath: ours), FileManager.default.contents(atPath: gnu), "our tar is GNU tar's")
    }

    func testExportVerifyImportVerifyExportRoundTrips() throws {
        let fixture = try BundleFixture()
        var verifier = fixture.verifier
        verifier.replay = ReadModels.all
        verifier.known = [fixture.earlier]
        let verified = try verifier.verify(path: fixture.bundle)
        let head = try fixture.ledger.treeHead()
        XCTAssertEqual(verified.checkpoint.size, head.size)
        XCTAssertEqual(verified.checkpoint.root, head.root)
        XCTAssertEqual(verified.manifest.events.count, head.size)
        XCTAssertEqual(verified.earlierCheckpoints.map(\.size), [fixture.earlier.checkpoint.size])
        XCTAssertEqual(verified.knownCheckpoints, [fixture.earlier.checkpoint.size])
        XCTAssertTrue(verified.replayed)

        let restored = LedgerPath(path: fixture.file("restored.db"))
        let summary = try BundleImporter(verifier: fixture.verifier).importBundle(fixture.bundle, into: restored)
        XCTAssertEqual(summary.imported, head.size)
        XCTAssertTrue(summary.created)
        let copy = try Ledger.open(restored, mode: .readWrite)
        XCTAssertTrue(try copy.verify().isValid)
        XCTAssertEqual(try copy.treeHead(), head)
        XCTAssertEqual(try copy.origin(), try fixture.ledger.origin())
        XCTAssertEqual(try copy.events(EventQuery()), try fixture.ledger.events(EventQuery()), "positions, ids, times and bytes")
        XCTAssertEqual(try copy.checkpoints(), try fixture.ledger.checkpoints())
        let reexported = fixture.file("reexported.tar.gz")
        _ = try BundleExporter(ledger: copy, projections: ReadModels.all).export(.latestCheckpoint, to: reexported)
        XCTAssertEqual(FileManager.default.contents(atPath: reexported), FileManager.default.contents(atPath: fixture.bundle))

        // Importing the same bundle again changes nothing.
        let twice = try BundleImporter(verifier: fixture.verifier).importBundle(fixture.bundle, into: restored)
        XCTAssertEqual(twice.imported, 0)
        XCTAssertEqual(twice.alreadyPresent, head.size)
    }

    /// A part of the ledger, under a later checkpoint, extends a copy that holds what came before.
    func testAPartialBundleProvesEachEventAndExtendsACopy() throws {
        let fixture = try BundleFixture()
        let ledger = fixture.ledger
        let firstSize = try fixture.ledger.treeHead().size
        let copyPath = LedgerPath(path: fixture.file("copy.db"))
        _ = try BundleImporter(verifier: fixture.verifier).importBundle(fixture.bundle, into: copyPath)
        try LoopSteps(ledger: ledger).append(try ProposedEvent(stream: StreamName("note-1"), type: EventType("NoteTaken"), json: Array(#"{"x":1}"#.utf8)))
        try LoopSteps(ledger: ledger).append(try ProposedEvent(stream: StreamName("note-1"), type: EventType("NoteTaken"), json: Array(#"{"x":2}"#.utf8)))
        let later = try ledger.signCheckpoint(with: fixture.key)
        let part = fixture.file("part.tar.gz")
        let summary = try BundleExporter(ledger: ledger, projections: ReadModels.all).export(.positions(from: firstSize + 1, to: firstSize + 2), to: part)
        XCTAssertEqual(summary.manifest.range.from, firstSize + 1)
        XCTAssertTrue(try BundleFixture.members(of: part).contains { $0.name == BundleMember.inclusion })
        var verifier = fixture.verifier
        verifier.known = [fixture.earlier]
        XCTAssertEqual(try verifier.verify(path: part).checkpoint, later.checkpoint)
        var replaying = fixture.verifier
        replaying.replay = ReadModels.all
        XCTAssertThrowsError(try replaying.verify(path: part)) { XCTAssertTrue("\($0)".contains("--replay rebuilds the read models from the first event"), "\($0)") }

        let extended = try BundleImporter(verifier: fixture.verifier).importBundle(part, into: copyPath)
        XCTAssertEqual(extended.imported, 2)
        let copy = try Ledger.open(copyPath, mode: .readOnly)
        XCTAssertEqual(try copy.treeHead(), try ledger.treeHead())
        XCTAssertTrue(try copy.verify().isValid)

        // A part that starts past a ledger's end, or a ledger that is not its prefix, is refused.
        let stranger = LedgerPath(path: fixture.file("stranger.db"))
        let other = try Ledger.open(stranger, mode: .readWrite, create: .ifMissing(origin: try ledger.origin()))
        try other.append(try ProposedEvent(stream: StreamName("x-1"), type: EventType("Other"), json: Array("{}".utf8)))
        let before = FileManager.default.contents(atPath: stranger.path)
        XCTAssertThrowsError(try BundleImporter(verifier: fixture.verifier).importBundle(part, into: stranger)) {
            XCTAssertEqual(($0 as? BundleError)?.code, .conflict, "\($0)")
        }
        XCTAssertThrowsError(try BundleImporter(verifier: fixture.verifier).importBundle(fixture.bundle, into: stranger)) {
            XCTAssertTrue("\($0)".contains("not a prefix of the bundle"), "\($0)")
        }
        XCTAssertEqual(FileManager.default.contents(atPath: stranger.path), before, "nothing written")
    }

    func testImportRefusesAnotherOriginAndABundleThatDoesNotVerify() throws {
        let fixture = try BundleFixture()
        let elsewhere = LedgerPath(path: fixture.file("elsewhere.db"))
        let other = try Ledger.open(elsewhere, mode: .readWrite, create: .ifMissing(origin: "other.example/log"))
        _ = other
        XCTAssertThrowsError(try BundleImporter(verifier: fixture.verifier).importBundle(fixture.bundle, into: elsewhere)) {
            XCTAssertTrue("\($0)".contains("origin other.example/log"), "\($0)")
        }
        let stranger = try NoteSignerKey(generatingFor: "ci.example.com/acme/evals")
        let missing = LedgerPath(path: fixture.file("never.db"))
        XCTAssertThrowsError(try BundleImporter(verifier: BundleVerifier(keys: [stranger.verifier])).importBundle(fixture.bundle, into: missing))
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing.path), "no ledger created")
    }

    /// README.txt's recipe, run with standard tools on a real bundle; jq reads the events.
    func testTheReadmeRecipeChecksTheBundleWithStandardTools() throws {
        let fixture = try BundleFixture()
        let folder = fixture.file("audit")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        XCTAssertEqual(try runProgram("/bin/tar", ["xzf", fixture.bundle, "-C", folder]).status, 0)
        let readme = try String(contentsOfFile: folder + "/README.txt", encoding: .utf8)
        let parts = readme.components(separatedBy: BundleReadme.scissors + "\n")
        XCTAssertEqual(parts.count, 3, "one recipe between two scissors lines")
        let script = folder + "/check.sh"
        try parts[1].write(toFile: script, atomically: true, encoding: .utf8)
        let checked = try runProgram("/bin/sh", [script], directory: folder, environment: ["VKEY": fixture.key.verifier.text])
        XCTAssertEqual(checked.status, 0, checked.output)
        XCTAssertTrue(checked.output.contains("Signature Verified Successfully"), checked.output)
        XCTAssertTrue(checked.output.contains("tree size \(try fixture.ledger.treeHead().size)"), checked.output)
        let jq = try runProgram("/bin/sh", ["-c", "jq -c 'select(.type == \"GateDecided\") | .data.decision' events.ndjson"], directory: folder)
        XCTAssertEqual(jq.status, 0, jq.output)
        XCTAssertFalse(jq.output.isEmpty)
        // The recipe fails on a changed event.
        let events = folder + "/events.ndjson"
        var text = try String(contentsOfFile: events, encoding: .utf8)
        text = text.replacingOccurrences(of: "auto-merge", with: "auto-merg3")
        try text.write(toFile: events, atomically: true, encoding: .utf8)
        XCTAssertNotEqual(try runProgram("/bin/sh", [script], directory: folder, environment: ["VKEY": fixture.key.verifier.text]).status, 0)
    }

    func testBackupIsACompleteSingleFileCopy() throws {
        let fixture = try BundleFixture()
        let copy = fixture.file("backup.db")
        let head = try fixture.ledger.backup(to: copy)
        XCTAssertEqual(head, try fixture.ledger.treeHead())
        XCTAssertFalse(FileManager.default.fileExists(atPath: copy + "-wal"))
        XCTAssertThrowsError(try fixture.ledger.backup(to: copy)) { XCTAssertTrue("\($0)".contains("exists already"), "\($0)") }
        XCTAssertThrowsError(try fixture.ledger.backup(to: fixture.ledger.location.path, replacing: true)) { XCTAssertTrue("\($0)".contains("the ledger itself"), "\($0)") }
        let opened = try Ledger.open(LedgerPath(path: copy), mode: .readOnly)
        XCTAssertTrue(try opened.verify().isValid)
        XCTAssertEqual(try opened.checkpoints(), try fixture.ledger.checkpoints())
    }
}
