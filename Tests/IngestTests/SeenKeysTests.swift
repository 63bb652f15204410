import Testing
@testable import Ingest

/// Duplicate keys are counted the same whether their hashes stay in memory or go to buckets on
/// disk.
@Suite struct SeenKeysTests {
    /// 5,000 distinct keys, a third named twice and a tenth three times, in a scrambled order.
    static let keys: [String] = {
        var keys = (0..<5_000).map { "pkg.module\($0 % 37).Class::test_\($0)_checks_the_bulletin" }
        keys += keys.enumerated().filter { $0.offset % 3 == 0 }.map(\.element)
        keys += keys.prefix(5_000).enumerated().filter { $0.offset % 10 == 0 }.map(\.element)
        var random = UInt64(42)
        for index in keys.indices.reversed() {
            random = random &* 6364136223846793005 &+ 1442695040888963407
            keys.swapAt(index, Int(random >> 33) % (index + 1))
        }
        return keys
    }()

    @Test(arguments: [1 << 17, 1, 7, 1_000])
    func duplicatesAreCountedWhereverTheHashesAreKept(heldLimit: Int) throws {
        var seen = SeenKeys(heldLimit: heldLimit)
        for key in Self.keys { try seen.insert(key) }
        #expect(try seen.duplicates() == Self.keys.count - 5_000)
        #expect(Self.keys.count - 5_000 == 1_667 + 500)
    }

    @Test func noKeysNoDuplicates() throws {
        var seen = SeenKeys(heldLimit: 1)
        #expect(try seen.duplicates() == 0)
        try seen.insert("")
        try seen.insert("")
        #expect(try seen.duplicates() == 1)
    }
}
