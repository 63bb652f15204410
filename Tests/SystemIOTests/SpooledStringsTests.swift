import XCTest
@testable import SystemIO

/// A list of strings read back in order and byte for byte, whether it stayed in memory or
/// went to a temporary file, and whatever the strings hold.
final class SpooledStringsTests: XCTestCase {
    private let strings = ["", "failure-1", "a\u{0}b", "caf\u{E9}", "cafe\u{301}", "\u{1F600}",
                           String(repeating: "long ", count: 30_000), "last"]

    private func readBack(_ list: SpooledStrings) throws -> [String] {
        var read: [String] = []
        try list.forEach { read.append($0) }
        return read
    }

    func testAListInMemoryReadsBackInOrder() throws {
        let list = SpooledStrings(memoryLimit: 1 << 30)
        for text in strings { try list.append(text) }
        XCTAssertEqual(list.count, strings.count)
        XCTAssertEqual(try readBack(list).map { Array($0.utf8) }, strings.map { Array($0.utf8) })
    }

    /// Spilled at every string (limit 1) and at 7 bytes, a string longer than a read piece
    /// (64 KiB) among them: strings that span pieces come back whole.
    func testAListOnDiskReadsBackInOrder() throws {
        for limit in [1, 7, 100_000] {
            let list = SpooledStrings(memoryLimit: limit)
            for _ in 0..<3 { for text in strings { try list.append(text) } }
            XCTAssertEqual(try readBack(list).map { Array($0.utf8) }, (strings + strings + strings).map { Array($0.utf8) }, "limit \(limit)")
        }
    }

    func testAReaderStopsAtTheEndAndAnEmptyListReadsNothing() throws {
        let empty = SpooledStrings(memoryLimit: 1)
        var reader = empty.makeReader()
        XCTAssertNil(try reader.next())
        let list = SpooledStrings(memoryLimit: 4)
        try list.append("one")
        try list.append("two")
        reader = list.makeReader()
        XCTAssertEqual(try reader.next(), "one")
        XCTAssertEqual(try reader.next(), "two")
        XCTAssertNil(try reader.next())
        XCTAssertNil(try reader.next())
    }
}
