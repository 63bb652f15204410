import Foundation
import XCTest
@testable import LedgerStore

/// The integrity tree against official and independently derived RFC 6962/9162 vectors.
final class MerkleTreeVectorTests: XCTestCase {
    private func fixture(_ name: String) throws -> [String: Any] { try Vectors.load(name) }

    private func bytes(hex: String) -> [UInt8] { Vectors.bytes(hex: hex) }

    func testHashingPrimitives() throws {
        let cases = try XCTUnwrap(fixture("rfc6962-hasher")["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 4)
        for item in cases {
            let expected = item["expected_hex"] as! String
            switch item["op"] as! String {
            case "empty_root":
                XCTAssertEqual(MerkleTree.emptyRoot.hex, expected)
                XCTAssertEqual(CompactRange().root.hex, expected)
            case "leaf_hash":
                XCTAssertEqual(MerkleTree.leafHash(bytes(hex: item["input_hex"] as! String)).hex, expected, item["name"] as! String)
            case "node_hash":
                let node = MerkleTree.nodeHash(rawLeft: bytes(hex: item["left_hex"] as! String), rawRight: bytes(hex: item["right_hex"] as! String))
                XCTAssertEqual(node.hex, expected)
            default:
                XCTFail("unknown op \(item["op"]!)")
            }
        }
    }

    func testEightLeafTreeRootsAtEverySize() throws {
        let vectors = try fixture("rfc6962-8-leaves")
        let leaves = (vectors["leaf_inputs_hex"] as! [String]).map { MerkleTree.leafHash(bytes(hex: $0)) }
        let roots = vectors["roots_by_size_hex"] as! [String: String]
        XCTAssertEqual(roots.count, 9)
        var range = CompactRange()
        XCTAssertEqual(range.root.hex, roots["0"])
        for (index, leaf) in leaves.enumerated() {
            range.append(leaf)
            XCTAssertEqual(range.root.hex, roots[String(index + 1)], "size \(index + 1)")
            XCTAssertEqual(MerkleTree.root(ofLeafHashes: leaves.prefix(index + 1)), range.root)
        }
        // Every complete subtree, level by level.
        let levels = vectors["complete_subtree_hashes_hex"] as! [String: [String]]
        var level = leaves
        for number in 0...3 {
            XCTAssertEqual(level.map(\.hex), levels["level_\(number)"], "level \(number)")
            level = stride(from: 0, to: level.count - 1, by: 2).map { MerkleTree.nodeHash(level[$0], level[$0 + 1]) }
        }
    }

    func testRFC9162WorkedExample() throws {
        let vectors = try fixture("rfc9162-section-2.1.5-example")
        let leaves = (vectors["leaf_inputs_hex"] as! [String]).map { MerkleTree.leafHash(bytes(hex: $0)) }
        let nodes = vectors["named_nodes_hex"] as! [String: String]
        XCTAssertEqual(zip(["a", "b", "c", "d", "e", "f", "j"], leaves).filter { nodes[$0.0] != $0.1.hex }.count, 0)
        let g = MerkleTree.nodeHash(leaves[0], leaves[1])
        let h = MerkleTree.nodeHash(leaves[2], leaves[3])
        let i = MerkleTree.nodeHash(leaves[4], leaves[5])
        let k = MerkleTree.nodeHash(g, h)
        let l = MerkleTree.nodeHash(i, leaves[6])
        XCTAssertEqual([g, h, i, k, l].map(\.hex), ["g", "h", "i", "k", "l"].map { nodes[$0]! })
        XCTAssertEqual(MerkleTree.root(ofLeafHashes: leaves).hex, nodes["hash"])
        XCTAssertEqual(MerkleTree.root(ofLeafHashes: leaves.prefix(3)).hex, nodes["hash0"])
        XCTAssertEqual(MerkleTree.root(ofLeafHashes: leaves.prefix(4)).hex, nodes["hash1"])
        XCTAssertEqual(MerkleTree.root(ofLeafHashes: leaves.prefix(6)).hex, nodes["hash2"])
    }

    func testRootsOfOneHundredRecordsAtEverySize() throws {
        let vectors = try fixture("records-leaf-i-up-to-100")
        let records = vectors["records_ascii"] as! [String]
        let roots = vectors["roots_by_size_hex"] as! [String: String]
        var range = CompactRange()
        for (index, record) in records.enumerated() {
            range.append(MerkleTree.leafHash(Array(record.utf8)))
            XCTAssertEqual(range.root.hex, roots[String(index + 1)], "size \(index + 1)")
            // The saved form restores the same range.
            XCTAssertEqual(CompactRange(size: range.size, serialized: range.serialized), range)
        }
        XCTAssertEqual(range.hashes.count, 100.nonzeroBitCount)
    }

    func testCompactRangeRefusesMismatchedState() {
        XCTAssertNil(CompactRange(size: 3, serialized: [UInt8](repeating: 0, count: 32)))
        XCTAssertNotNil(CompactRange(size: 3, serialized: [UInt8](repeating: 0, count: 64)))
        XCTAssertNil(TreeHash(hex: "zz"))
        XCTAssertEqual(TreeHash(hex: MerkleTree.emptyRoot.hex), MerkleTree.emptyRoot)
    }
}
