import Foundation
import XCTest
@testable import LedgerStore

/// Reading the official vectors copied from `shared/vectors` into `Fixtures/vectors`.
enum Vectors {
    static func load(_ name: String) throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures/vectors"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    static func bytes(hex: String) -> [UInt8] {
        var out = [UInt8]()
        var chars = hex.makeIterator()
        while let high = chars.next(), let low = chars.next() { out.append(UInt8(String([high, low]), radix: 16)!) }
        return out
    }

    static func hash(hex: String) -> TreeHash { TreeHash(hex: hex)! }

    /// A hash from base64, nil when it is not 32 bytes (some probes use short placeholders).
    static func hash(base64: String) -> TreeHash? { Base64.decode(base64).flatMap { TreeHash(bytes: $0) } }

    /// A JSON integer as an Int, nil for one beyond Int (the probes use 2^64 - 1).
    static func integer(_ value: Any?) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        return Int(exactly: number.uint64Value) ?? (number.int64Value < 0 ? Int(number.int64Value) : nil)
    }

    /// `MTH(D[lo:hi])` over leaf hashes held in memory: the reference the ledger's proofs are compared with.
    static func subtree(_ leaves: [TreeHash], _ lo: Int, _ hi: Int) -> TreeHash {
        MerkleTree.root(ofLeafHashes: leaves[lo..<hi])
    }
}
