import Foundation
import XCTest
@testable import AuditBundle
import Events
@testable import LedgerStore
import RemediationLoop
import ReadViews

/// Every way the issue lists of tampering with a real exported bundle is detected, each with
/// its own message naming where; the untouched bundle verifies.
final class TamperTests: XCTestCase {
    nonisolated(unsafe) private static let shared = Result { try BundleFixture(extraEvents: 40) }

    private var fixture: BundleFixture { try! Self.shared.get() }

    private var members: [(name: String, bytes: [UInt8])] { try! BundleFixture.members(of: fixture.bundle) }

    /// The events' lines (without newlines).
    private func lines(_ members: [(name: String, bytes: [UInt8])]) -> [[UInt8]] {
        members.first { $0.name == BundleMember.events }!.bytes.split(separator: 0x0A).map(Array.init)
    }

    private func replacing(_ name: String, in members: [(name: String, bytes: [UInt8])], with bytes: [UInt8]) -> [(name: String, bytes: [UInt8])] {
        members.map { $0.name == name ? ($0.name, bytes) : $0 }
    }

    private func withEvents(_ edit: (inout [[UInt8]]) -> Void, crlf: Bool = false) -> [(name: String, bytes: [UInt8])] {
        var lines = lines(members)
        edit(&lines)
        let ending: [UInt8] = crlf ? [0x0D, 0x0A] : [0x0A]
        let text = lines.reduce(into: [UInt8]()) { $0 += $1 + ending }
        return replacing(BundleMember.events, in: members, with: text)
    }

    private func withManifest(_ edit: (inout BundleManifest) -> Void) throws -> [(name: String, bytes: [UInt8])] {
        let bytes = members.first { $0.name == BundleMember.manifest }!.bytes
        var manifest = try LoopPayload.decode(BundleManifest.self, from: bytes.dropLast())
        edit(&manifest)
        return replacing(BundleMember.manifest, in: members, with: try manifest.encoded())
    }

    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// Writes the members as a bundle and returns the verifier's failure.
    private func failure(_ members: [(name: String, bytes: [UInt8])], header: (String, Int) -> [UInt8] = TarHeader.regularFile,
                         known: [SignedCheckpoint] = [], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let path = fixture.file("tampered-\(UUID().uuidString).tar.gz")
        try BundleFixture.write(members, to: path, header: header)
        return try failure(path: path, known: known, file: file, line: line)
    }

    private func failure(path: String, known: [SignedCheckpoint] = [], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        var verifier = fixture.verifier
        verifier.known = known
        do {
            _ = try verifier.verify(path: path)
            XCTFail("the tampered bundle verified", file: file, line: line)
            return ""
        } catch let error as BundleError {
            XCTAssertEqual(error.code, .verificationFailed, error.message, file: file, line: line)
            XCTAssertFalse(error.message.contains("\n"), file: file, line: line)
            return error.message
        }
    }

    func testTheUntouchedBundleVerifiesAndRepackingItChangesNothing() throws {
        XCTAssertNoThrow(try fixture.verifier.verify(path: fixture.bundle))
        let repacked = fixture.file("repacked.tar.gz")
        try BundleFixture.write(members, to: repacked)
        XCTAssertNoThrow(try fixture.verifier.verify(path: repacked))
    }

    func testEveryTamperingIsDetectedWithItsOwnMessage() throws {
        let events = lines(members)
        let count = events.count
        var messages: [String: String] = [:]
        func expect(_ name: String, _ fragment: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertTrue(message.contains(fragment), "\(name): \"\(message)\" lacks \"\(fragment)\"", file: file, line: line)
            messages[name] = message
        }

        let changed = withEvents { lines in
            let index = lines.firstIndex { self.text($0).contains("GateDecided") }!
            lines[index] = Array(self.text(lines[index]).replacingOccurrences(of: "\"decision\":\"review\"", with: "\"decision\":\"revieW\"")
                .replacingOccurrences(of: "\"decision\":\"auto-merge\"", with: "\"decision\":\"auto-mergE\"").utf8)
        }
        expect("one byte of an event", "events.ndjson: the events do not hash to the root the checkpoint signs", try failure(changed))
        expect("a dropped line", "events.ndjson: position 5 is missing (line 5 holds position 6)", try failure(withEvents { $0.remove(at: 4) }))
        expect("two swapped lines", "events.ndjson: lines 5 and 6 are swapped (positions 6 and 5)", try failure(withEvents { $0.swapAt(4, 5) }))
        expect("a duplicated line", "events.ndjson: line 6 repeats position 5 (an event appears twice)", try failure(withEvents { $0.insert($0[4], at: 5) }))
        let appended = withEvents { lines in
            lines.append(Array(self.text(lines[count - 1]).replacingOccurrences(of: "\"position\":\(count),", with: "\"position\":\(count + 1),").utf8))
        }
        expect("an appended line", "line \(count + 1) holds position \(count + 1), beyond the \(count) events the checkpoint signs", try failure(appended))
        let reordered = withEvents { lines in
            let line = self.text(lines[2])
            let id = line.range(of: #","id":"[^"]*""#, options: .regularExpression)!
            let moved = "{" + line[id].dropFirst() + "," + line[line.index(after: line.startIndex)..<id.lowerBound] + line[id.upperBound...]
            lines[2] = Array(moved.utf8)
        }
        expect("another key order", "events.ndjson: line 3 is not in canonical form", try failure(reordered))
        let spaced = withEvents { $0[2] = Array(self.text($0[2]).replacingOccurrences(of: "{\"data\":", with: "{\"data\": ").utf8) }
        XCTAssertTrue(try failure(spaced).contains("line 3 is not in canonical form"), "whitespace")
        expect("CRLF line ends", "events.ndjson: line 1 ends with a carriage return", try failure(withEvents({ _ in }, crlf: true)))

        expect("the manifest's size", "events.ndjson: is \(members.first { $0.name == BundleMember.events }!.bytes.count) bytes, but the manifest says",
               try failure(try withManifest { manifest in
                   let index = manifest.members.firstIndex { $0.name == BundleMember.events }!
                   manifest.members[index].size += 1
               }))
        expect("the manifest's counts", "manifest.json: counts", try failure(try withManifest { $0.events.byType["DeploymentRecorded", default: 0] += 1 }))
        expect("the manifest's root", "manifest.json: says tree size", try failure(try withManifest { $0.tree.root = String(repeating: "0", count: 64) }))

        let checkpoint = try SignedCheckpoint(parsing: members.first { $0.name == BundleMember.checkpoint }!.bytes)
        let stranger = try NoteSignerKey(generatingFor: checkpoint.checkpoint.origin)
        let resigned = try SignedCheckpoint(signing: checkpoint.checkpoint, with: stranger)
        expect("another key", "checkpoint.txt: no signature by a trusted key", try failure(replacing(BundleMember.checkpoint, in: members, with: resigned.bytes)))
        let forged = Array(text(checkpoint.bytes).replacingOccurrences(of: "\n\(count)\n", with: "\n\(count - 1)\n").utf8)
        expect("a forged checkpoint", "checkpoint.txt: the signature by", try failure(replacing(BundleMember.checkpoint, in: members, with: forged)))

        // A checkpoint the auditor kept from a history of the same origin and key that forked.
        let fork = try Ledger.open(LedgerPath(path: fixture.file("fork-\(UUID().uuidString).db")), mode: .readWrite,
                                   create: .ifMissing(origin: checkpoint.checkpoint.origin))
        for index in 0..<3 { try fork.append(try ProposedEvent(stream: StreamName("fork-1"), type: EventType("Forked"), json: Array(#"{"i":\#(index)}"#.utf8))) }
        let kept = try fork.signCheckpoint(with: fixture.key)
        expect("a kept checkpoint it does not extend", "the first 3 events do not hash to the root of the kept checkpoint",
               try failure(members, known: [kept]))

        expect("a symbolic link", "member README.txt: a symbolic link", try failure(members) { name, size in
            var header = TarHeader.regularFile(name: name, size: size)
            if name == BundleMember.readme { header = Self.retyped(header, UInt8(ascii: "2")) }
            return header
        })
        expect("a ../ member", "member ../evil.txt: climbs out of the bundle", try failure([("../evil.txt", [1])] + members))
        expect("an absolute path", "member /etc/evil.txt: has an absolute path", try failure([("/etc/evil.txt", [1])] + members))
        expect("a duplicate member", "member README.txt: appears twice", try failure([members[0]] + members))

        // A gzip bomb: a member of zeros that inflates a thousandfold.
        expect("a gzip bomb", "inflates more than 100 times its size: refused as a gzip bomb",
               try failure([(BundleMember.readme, [UInt8](repeating: 0, count: 8 << 20))]))
        // A tar bomb: a manifest that lists ten thousand empty members, and the members.
        let bomb = (0..<10_001).map { ("read-models/zz\(String(format: "%05d", $0)).ndjson", [UInt8]()) }
        var bombed = try withManifest { manifest in
            manifest.members += bomb.map { BundleManifest.Member(name: $0.0, size: 0, sha256: SHA256Hex.of([])) }
        }
        bombed += bomb
        expect("a tar bomb of many empty members", "more than 10000 members: refused as a tar bomb", try failure(bombed))

        // A file cut short.
        let whole = try XCTUnwrap(FileManager.default.contents(atPath: fixture.bundle))
        let cut = fixture.file("cut.tar.gz")
        XCTAssertTrue(FileManager.default.createFile(atPath: cut, contents: whole.prefix(whole.count / 2)))
        expect("a truncated file", "the bundle: truncated: its gzip stream ends", try failure(path: cut))

        XCTAssertEqual(Set(messages.values).count, messages.count, "each with its own message: \(messages)")
    }

    /// Members changed together with a manifest that agrees with them: the checks past the
    /// hashes catch what a hash alone cannot.
    func testMembersTheManifestAgreesWithAreStillChecked() throws {
        let readme = members.first { $0.name == BundleMember.readme }!
        let recipe = Array(text(readme.bytes).replacingOccurrences(of: "sha256sum", with: "true").utf8)
        XCTAssertNotEqual(recipe, readme.bytes)
        XCTAssertTrue(try failure(try consistent(replacing(BundleMember.readme, in: members, with: recipe)))
            .contains("README.txt: is not the README.txt of this bundle format (its recipe was changed)"))

        // Inclusion proofs in a bundle of the whole tree: nothing for them to prove.
        let position = members.firstIndex { $0.name == BundleMember.events }! + 1
        var withProofs = members
        withProofs.insert((BundleMember.inclusion, Array("{}\n".utf8)), at: position)
        XCTAssertTrue(try failure(try consistent(withProofs)).contains("a bundle of the whole signed tree carries no inclusion proofs"))
    }

    /// The members with a manifest listing each one's size and hash as it now is.
    private func consistent(_ members: [(name: String, bytes: [UInt8])]) throws -> [(name: String, bytes: [UInt8])] {
        var result = members
        let index = result.firstIndex { $0.name == BundleMember.manifest }!
        var manifest = try LoopPayload.decode(BundleManifest.self, from: result[index].bytes.dropLast())
        manifest.members = result.filter { $0.name != BundleMember.manifest }.map {
            BundleManifest.Member(name: $0.name, size: $0.bytes.count, sha256: SHA256Hex.of($0.bytes))
        }
        result[index].bytes = try manifest.encoded()
        return result
    }

    func testAReadModelSnapshotThatDoesNotFollowFromTheEventsFailsReplay() throws {
        let table = members.first { $0.name == "read-models/guards.ndjson" }!
        var edited = Array(table.bytes)
        edited += Array(#"{"case_key":"forged","fix":null}"#.utf8) + [0x0A]
        var altered = replacing(table.name, in: members, with: edited)
        let manifestIndex = altered.firstIndex { $0.name == BundleMember.manifest }!
        var manifest = try LoopPayload.decode(BundleManifest.self, from: altered[manifestIndex].bytes.dropLast())
        let index = manifest.members.firstIndex { $0.name == table.name }!
        manifest.members[index] = .init(name: table.name, size: edited.count, sha256: SHA256Hex.of(edited))
        altered[manifestIndex].bytes = try manifest.encoded()
        let path = fixture.file("snapshot.tar.gz")
        try BundleFixture.write(altered, to: path)
        XCTAssertNoThrow(try fixture.verifier.verify(path: path), "without --replay the snapshot is only described")
        var verifier = fixture.verifier
        verifier.replay = ReadModels.all
        XCTAssertThrowsError(try verifier.verify(path: path)) {
            XCTAssertTrue("\($0)".contains("read-models/guards.ndjson: differs from the read model rebuilt from the events"), "\($0)")
        }
    }

    /// A header of another type, its checksum made right again.
    private static func retyped(_ header: [UInt8], _ type: UInt8) -> [UInt8] {
        var block = header
        block[156] = type
        for offset in 148..<156 { block[offset] = UInt8(ascii: " ") }
        let sum = String(block.reduce(0) { $0 + Int($1) }, radix: 8)
        let digits = Array((String(repeating: "0", count: 6 - sum.count) + sum).utf8)
        block.replaceSubrange(148..<154, with: digits)
        block[154] = 0
        block[155] = UInt8(ascii: " ")
        return block
    }
}
