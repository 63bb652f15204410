import Foundation
import XCTest
@testable import LedgerStore

/// Proofs and checkpoints made from a real ledger: its kept tree nodes give the same answers
/// as hashing every leaf, at any size, across the 256- and 65,536-leaf boundaries.
final class ProofTests: XCTestCase {
    /// Appends `count` small events in one batch.
    private func fill(_ ledger: Ledger, _ count: Int, stream: String = "bulk-1") throws {
        var remaining = count
        try ledger.append(batch: {
            remaining -= 1
            return remaining >= 0 ? (try event(stream, "Tick", #"{"n":\#(remaining)}"#), nil) : nil
        })
    }

    private func leaves(_ ledger: Ledger) throws -> [TreeHash] {
        try ledger.events(EventQuery()).map { TreeHash(bytes: $0.leafHash)! }
    }

    func testProofsFromKeptNodesMatchEveryLeafAcrossBoundaries() throws {
        let folder = TemporaryFolder()
        let ledger = try folder.openLedger()
        try fill(ledger, 65_536 + 700)
        let leaves = try leaves(ledger)
        var roots = [MerkleTree.emptyRoot]
        var range = CompactRange()
        for leaf in leaves { range.append(leaf); roots.append(range.root) }
        let count = leaves.count
        XCTAssertEqual(try ledger.connection.scalarInt("SELECT count(*) FROM tree_nodes WHERE height = 8"), count / 256)
        XCTAssertEqual(try ledger.connection.scalarInt("SELECT count(*) FROM tree_nodes WHERE height = 16"), 1)

        var random = SystemRandomNumberGenerator()
        let sizes = [1, 2, 255, 256, 257, 511, 512, 65_535, 65_536, 65_537, count - 1, count] + (0..<20).map { _ in Int.random(in: 1...count, using: &random) }
        for size in sizes {
            XCTAssertEqual(try ledger.treeHead(size: size).root, roots[size], "head of size \(size)")
            for position in Set([1, size, (size + 1) / 2, Int.random(in: 1...size, using: &random)]) {
                let proof = try ledger.inclusionProof(position: position, size: size)
                XCTAssertEqual(proof.leafHash, leaves[position - 1])
                XCTAssertNoThrow(try proof.verify(root: roots[size]), "inclusion of \(position) in \(size)")
                if size <= 600 {
                    XCTAssertEqual(proof.hashes, MerkleProof.inclusionPath(index: position - 1, size: size) { Vectors.subtree(leaves, $0, $1) })
                }
            }
            let from = Int.random(in: 1...size, using: &random)
            let consistency = try ledger.consistencyProof(from: from, to: size)
            XCTAssertNoThrow(try consistency.verify(fromRoot: roots[from], toRoot: roots[size]), "consistency \(from) to \(size)")
            XCTAssertEqual(try ConsistencyProof(parsing: consistency.text), consistency, "the text form round-trips")
        }
        XCTAssertThrowsError(try ledger.inclusionProof(position: count + 1))
        XCTAssertThrowsError(try ledger.consistencyProof(from: 0))
        XCTAssertTrue(try ledger.verify().isValid, "verify checks the kept nodes too")
    }

    func testALedgerFromBeforeKeptNodesGetsThemOnUpgrade() throws {
        let folder = TemporaryFolder()
        do {
            let ledger = try folder.openLedger()
            try fill(ledger, 1_000)
            // As an older remedy left it: no identity, kept nodes, checkpoints, stream count or snapshots (schema 3).
            try ledger.connection.execute("""
                DROP TABLE ledger_identity; DROP TABLE tree_nodes; DROP TABLE checkpoints; DROP TABLE projection_snapshots;
                ALTER TABLE tree_state DROP COLUMN streams;
                DELETE FROM schema_migrations WHERE version >= 4;
                """)
        }
        let reader = try folder.openLedger(mode: .readOnly)
        XCTAssertThrowsError(try reader.origin()) { XCTAssertTrue("\($0)".contains("no origin yet"), "\($0)") }
        let slow = try reader.inclusionProof(position: 700)   // from the leaves alone
        let ledger = try folder.openLedger()
        XCTAssertEqual(try ledger.schemaVersion(), LedgerSchema.latestVersion)
        XCTAssertTrue(try ledger.origin().hasPrefix("remedy.ledger/"))
        XCTAssertEqual(try ledger.connection.scalarInt("SELECT count(*) FROM tree_nodes"), 1_000 / 256)
        XCTAssertEqual(try ledger.inclusionProof(position: 700), slow)
        XCTAssertTrue(try ledger.verify().isValid)
        // The stream count is counted once on upgrade, then kept by every append.
        XCTAssertEqual(try ledger.status().streamCount, 1)
        try ledger.append(try event("other-1"))
        try fill(ledger, 3, stream: "bulk-2")
        XCTAssertEqual(try ledger.status().streamCount, 3)
        XCTAssertTrue(try ledger.verify().isValid)
        try ledger.connection.execute("UPDATE tree_state SET streams = streams + 1 WHERE id = 1")
        XCTAssertEqual(try ledger.verify().problem?.message, "the saved stream count (4) does not match the events (3 streams)")
    }

    func testCheckpointsAreSignedOnlyOverHeadsThatExtendTheLastOne() throws {
        let folder = TemporaryFolder()
        let ledger = try Ledger.open(LedgerPath(path: folder.file("l.db")), mode: .readWrite, create: .ifMissing(origin: "ci.example.com/evals"))
        let key = try NoteSignerKey(generatingFor: "ci.example.com/evals")
        assertLedgerError(.invalidEvent, "nothing to sign") { try ledger.signCheckpoint(with: key) }
        try fill(ledger, 10)
        let first = try ledger.signCheckpoint(with: key)
        XCTAssertEqual(first.checkpoint.size, 10)
        XCTAssertEqual(first.checkpoint.origin, "ci.example.com/evals")
        XCTAssertEqual(try ledger.signCheckpoint(with: key), first, "nothing new: the same checkpoint")
        let other = try NoteSignerKey(generatingFor: "someone.else")
        assertLedgerError(.conflict, "stored already") { try ledger.signCheckpoint(with: other) }
        try fill(ledger, 5)
        let second = try ledger.signCheckpoint(with: key)
        XCTAssertEqual(try ledger.checkpoints().map(\.checkpoint.size), [10, 15])
        XCTAssertEqual(try ledger.latestCheckpoint(), second)
        XCTAssertNoThrow(try ledger.verifyExtends(checkpointNote: first.bytes, trusting: [key.verifier]))
        // A checkpoint kept of the empty tree: every ledger extends it, if it signs the empty root.
        let empty = try SignedCheckpoint(signing: Checkpoint(origin: "ci.example.com/evals", size: 0, root: MerkleTree.emptyRoot), with: key)
        XCTAssertNoThrow(try ledger.verifyExtends(checkpointNote: empty.bytes, trusting: [key.verifier]))
        let notEmpty = try SignedCheckpoint(signing: Checkpoint(origin: "ci.example.com/evals", size: 0, root: MerkleTree.leafHash([9])), with: key)
        assertLedgerError(.verificationFailed, "not the empty tree's root") { try ledger.verifyExtends(checkpointNote: notEmpty.bytes, trusting: [key.verifier]) }

        // A checkpoint the ledger does not extend (another history of 15 events) is refused,
        // and the next signing is refused too: the ledger no longer matches what was signed.
        let forged = try SignedCheckpoint(signing: Checkpoint(origin: "ci.example.com/evals", size: 15, root: MerkleTree.leafHash([9])), with: key)
        assertLedgerError(.verificationFailed, "does not extend the checkpoint of size 15") {
            try ledger.verifyExtends(checkpointNote: forged.bytes, trusting: [key.verifier])
        }
        let elsewhere = try SignedCheckpoint(signing: Checkpoint(origin: "other.example/log", size: 3, root: MerkleTree.leafHash([9])), with: key)
        assertLedgerError(.conflict, "not this ledger's") { try ledger.verifyExtends(checkpointNote: elsewhere.bytes, trusting: [key.verifier]) }
        let forgedLater = try SignedCheckpoint(signing: Checkpoint(origin: "ci.example.com/evals", size: 16, root: MerkleTree.leafHash([9])), with: key)
        try ledger.connection.execute("INSERT INTO checkpoints (size, note, recorded_at) VALUES (16, x'\(forgedLater.bytes.map { String(format: "%02x", $0) }.joined())', 'now')")
        try fill(ledger, 1)
        assertLedgerError(.verificationFailed, "does not extend the checkpoint of size 16") { try ledger.signCheckpoint(with: key) }
    }
}
