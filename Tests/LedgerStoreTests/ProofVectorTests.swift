import Foundation
import XCTest
@testable import LedgerStore

/// Inclusion and consistency proofs (RFC 9162 §2.1.3, §2.1.4): made and checked against every
/// official and derived vector in `shared/vectors`.
final class ProofVectorTests: XCTestCase {
    func testEveryProofOfTheEightLeafTree() throws {
        let tree = try Vectors.load("rfc6962-8-leaves")
        let leaves = (tree["leaf_inputs_hex"] as! [String]).map { MerkleTree.leafHash(Vectors.bytes(hex: $0)) }
        let proofs = try Vectors.load("rfc6962-8-leaves-all-proofs")
        let inclusion = proofs["inclusion"] as! [[String: Any]]
        let consistency = proofs["consistency"] as! [[String: Any]]
        XCTAssertEqual(inclusion.count, 36)
        XCTAssertEqual(consistency.count, 28)
        try checkInclusion(inclusion, leaves: leaves)
        try checkConsistency(consistency, leaves: leaves)
    }

    func testTheRFCWorkedExample() throws {
        let vectors = try Vectors.load("rfc9162-section-2.1.5-example")
        let leaves = (vectors["leaf_inputs_hex"] as! [String]).map { MerkleTree.leafHash(Vectors.bytes(hex: $0)) }
        try checkInclusion(vectors["inclusion"] as! [[String: Any]], leaves: leaves)
        try checkConsistency(vectors["consistency"] as! [[String: Any]], leaves: leaves)
    }

    func testOneHundredRecordsAcrossPowerOfTwoBoundaries() throws {
        let vectors = try Vectors.load("records-leaf-i-up-to-100")
        let leaves = (vectors["records_ascii"] as! [String]).map { MerkleTree.leafHash(Array($0.utf8)) }
        XCTAssertEqual((vectors["inclusion"] as! [Any]).count, 26)
        XCTAssertEqual((vectors["consistency"] as! [Any]).count, 24)
        try checkInclusion(vectors["inclusion"] as! [[String: Any]], leaves: leaves)
        try checkConsistency(vectors["consistency"] as! [[String: Any]], leaves: leaves)
    }

    /// Makes each proof from the leaves, compares it with the vector's, verifies it, and checks
    /// that a changed hash, index or size is refused.
    private func checkInclusion(_ cases: [[String: Any]], leaves: [TreeHash]) throws {
        for item in cases {
            let index = item["leaf_index"] as! Int, size = item["tree_size"] as! Int
            let expected = (item["proof_hex"] as! [String]).map(Vectors.hash(hex:))
            let root = Vectors.hash(hex: item["root_hex"] as! String)
            let leaf = leaves[index]
            if let given = item["leaf_hash_hex"] as? String { XCTAssertEqual(leaf.hex, given) }
            let made = MerkleProof.inclusionPath(index: index, size: size) { Vectors.subtree(leaves, $0, $1) }
            XCTAssertEqual(made, expected, "inclusion \(index) in \(size)")
            XCTAssertNoThrow(try MerkleProof.verifyInclusion(leaf: leaf, index: index, size: size, proof: expected, root: root))
            XCTAssertThrowsError(try MerkleProof.verifyInclusion(leaf: MerkleTree.leafHash([7, 7]), index: index, size: size, proof: expected, root: root))
            XCTAssertThrowsError(try MerkleProof.verifyInclusion(leaf: leaf, index: size, size: size, proof: expected, root: root))
            if !expected.isEmpty {
                var broken = expected
                broken[0] = MerkleTree.leafHash([1])
                XCTAssertThrowsError(try MerkleProof.verifyInclusion(leaf: leaf, index: index, size: size, proof: broken, root: root))
            }
        }
    }

    private func checkConsistency(_ cases: [[String: Any]], leaves: [TreeHash]) throws {
        for item in cases {
            let from = item["size1"] as! Int, to = item["size2"] as! Int
            let expected = (item["proof_hex"] as! [String]).map(Vectors.hash(hex:))
            let root1 = Vectors.hash(hex: item["root1_hex"] as! String), root2 = Vectors.hash(hex: item["root2_hex"] as! String)
            let made = MerkleProof.consistencyPath(from: from, to: to) { Vectors.subtree(leaves, $0, $1) }
            XCTAssertEqual(made, expected, "consistency \(from) to \(to)")
            XCTAssertNoThrow(try MerkleProof.verifyConsistency(size1: from, size2: to, proof: expected, root1: root1, root2: root2))
            XCTAssertThrowsError(try MerkleProof.verifyConsistency(size1: from, size2: to, proof: expected, root1: root2, root2: root1))
            XCTAssertThrowsError(try MerkleProof.verifyConsistency(size1: from, size2: to, proof: expected.dropLast(), root1: root1, root2: root2))
        }
    }

    /// transparency-dev's golden probes: the happy paths and their systematic mutations.
    func testTransparencyDevInclusionProbes() throws {
        let probes = try Vectors.load("transparency-dev-inclusion-probes")["probes"] as! [[String: Any]]
        XCTAssertEqual(probes.count, 98)
        for probe in probes {
            let name = probe["source_path"] as! String
            let wantError = probe["wantErr"] as! Bool
            let proof = (probe["proof"] as? [String] ?? []).map(Vectors.hash(base64:))
            guard let leaf = Vectors.hash(base64: probe["leafHash"] as! String),
                  let root = Vectors.hash(base64: probe["root"] as! String), !proof.contains(nil),
                  let index = Vectors.integer(probe["leafIdx"]), let size = Vectors.integer(probe["treeSize"]) else {
                XCTAssertTrue(wantError, "\(name): a probe with a hash that is not 32 bytes, or an index beyond Int, must be an error probe")
                continue
            }
            let outcome = Result { try MerkleProof.verifyInclusion(leaf: leaf, index: index, size: size, proof: proof.map { $0! }, root: root) }
            XCTAssertEqual((try? outcome.get()) == nil, wantError, "\(name) (\(probe["desc"]!))")
        }
    }

    func testTransparencyDevConsistencyProbes() throws {
        let probes = try Vectors.load("transparency-dev-consistency-probes")["probes"] as! [[String: Any]]
        XCTAssertEqual(probes.count, 98)
        for probe in probes {
            let name = probe["source_path"] as! String
            // Implementation-defined (shared/vectors README, note 2): placeholder roots of 12
            // bytes, which a verifier that requires 32-byte hashes refuses, as this one does.
            let strictLength = name.hasSuffix("sizes-are-equal-one-and-proof-is-empty.json")
            let wantError = probe["wantErr"] as! Bool || strictLength
            let proof = (probe["proof"] as? [String] ?? []).map(Vectors.hash(base64:))
            guard let root1 = Vectors.hash(base64: probe["root1"] as! String),
                  let root2 = Vectors.hash(base64: probe["root2"] as! String), !proof.contains(nil),
                  let size1 = Vectors.integer(probe["size1"]), let size2 = Vectors.integer(probe["size2"]) else {
                XCTAssertTrue(wantError, "\(name): a probe with a hash that is not 32 bytes, or a size beyond Int, must be an error probe")
                continue
            }
            let outcome = Result { try MerkleProof.verifyConsistency(size1: size1, size2: size2, proof: proof.map { $0! }, root1: root1, root2: root2) }
            XCTAssertEqual((try? outcome.get()) == nil, wantError, "\(name) (\(probe["desc"]!))")
        }
    }

    /// Real proofs from Sigstore's Rekor logs, bound to their checkpoints' size and root.
    func testRekorInclusionProofsAndTheirCheckpoints() throws {
        let cases = try Vectors.load("rekor-inclusion-proofs")["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 4)
        for item in cases {
            let id = item["id"] as! String
            let input = try XCTUnwrap(Base64.decode(item["leaf_input_b64"] as! String))
            let leaf = MerkleTree.leafHash(input)
            XCTAssertEqual(leaf.hex, item["leaf_hash_hex"] as? String, id)
            let proof = (item["proof_b64"] as! [String]).map { Vectors.hash(base64: $0)! }
            let root = try XCTUnwrap(Vectors.hash(base64: item["root_hash_b64"] as! String))
            let index = item["leaf_index"] as! Int, size = item["tree_size"] as! Int
            let merkleValid = (try? MerkleProof.verifyInclusion(leaf: leaf, index: index, size: size, proof: proof, root: root)) != nil
            // The checkpoint's text (signed by Rekor with ECDSA, or Ed25519 for v2) names the tree.
            let note = try SignedNote(parsing: Array((item["checkpoint_note"] as! String).utf8))
            let checkpoint = try Checkpoint(text: note.text)
            let bound = checkpoint.size == size && checkpoint.root == root
            switch item["expect"] as! String {
            case "valid":
                XCTAssertTrue(merkleValid && bound, id)
            case "reject":
                XCTAssertFalse(merkleValid, id)
            default:
                XCTAssertTrue(merkleValid, "\(id): the proof is valid for its own root")
                XCTAssertFalse(bound, "\(id): but not for the checkpoint, which a verifier must require")
            }
        }
    }
}
