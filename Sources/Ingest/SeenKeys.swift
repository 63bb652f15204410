import SystemIO

/// The case keys a report has named, for counting the duplicates at its end: their 64-bit
/// hashes, not the keys, which can run to megabytes (a set of 150,000 CTRF keys took 24 MB).
/// A collision (about 1 in 10^9 at 150,000 keys) would only miscount a statistic.
///
/// Memory stays flat however many cases the report holds: up to 131,072 hashes (1 MiB) are
/// kept in an array; past that, every hash goes to a temporary file in one of 64 buckets by
/// its top bits, and at the end each bucket is read back, sorted and counted alone (a 64th of
/// the hashes at a time: 1.25 MB for ten million cases).
///
/// ```swift
/// var seen = SeenKeys()
/// for key in ["a", "b", "a"] { try seen.insert(key) }
/// try seen.duplicates()   // 1
/// ```
struct SeenKeys {
    private var held: [Int] = []
    private var inserted = 0
    private var spill: Spill?

    /// Hashes held in memory before they go to buckets on disk.
    let heldLimit: Int

    init(heldLimit: Int = 1 << 17) {
        self.heldLimit = max(1, heldLimit)
    }

    /// The buckets on disk: each one's hashes still to write, and where its written ones are.
    private struct Spill {
        let file: SpoolFile
        var pending = [[Int]](repeating: [], count: SeenKeys.bucketCount)
        var written = [[(offset: Int, count: Int)]](repeating: [], count: SeenKeys.bucketCount)

        mutating func add(_ hash: Int) throws {
            let bucket = Int(UInt64(bitPattern: Int64(hash)) >> 58)
            pending[bucket].append(hash)
            if pending[bucket].count >= 1024 { try flush(bucket) }
        }

        mutating func flush(_ bucket: Int) throws {
            guard !pending[bucket].isEmpty else { return }
            written[bucket].append((file.size, pending[bucket].count))
            try pending[bucket].withUnsafeBytes { try file.write($0) }
            pending[bucket].removeAll(keepingCapacity: true)
        }
    }

    private static let bucketCount = 64

    /// Notes one occurrence of `key`.
    ///
    /// - Throws: ``SystemIOError`` when the temporary file cannot be written.
    mutating func insert(_ key: String) throws {
        inserted += 1
        if spill != nil {
            try spill!.add(key.hashValue)
            return
        }
        held.append(key.hashValue)
        guard held.count >= heldLimit else { return }
        spill = Spill(file: try SpoolFile())
        for hash in held { try spill!.add(hash) }
        held = []
    }

    /// The occurrences of a key named before: insertions less distinct keys.
    ///
    /// - Throws: ``SystemIOError`` when the temporary file cannot be read.
    mutating func duplicates() throws -> Int {
        guard var spill else { return inserted - Self.distinct(&held) }
        var distinct = 0
        for bucket in 0..<Self.bucketCount {
            try spill.flush(bucket)
            var hashes: [Int] = []
            for (offset, count) in spill.written[bucket] {
                try spill.file.read(from: offset, count: count * MemoryLayout<Int>.size) { piece in
                    for start in stride(from: 0, to: piece.count, by: MemoryLayout<Int>.size) {
                        hashes.append(piece.loadUnaligned(fromByteOffset: start, as: Int.self))
                    }
                }
            }
            distinct += Self.distinct(&hashes)
        }
        self.spill = spill
        return inserted - distinct
    }

    private static func distinct(_ hashes: inout [Int]) -> Int {
        hashes.sort()
        return hashes.indices.count { $0 == 0 || hashes[$0] != hashes[$0 - 1] }
    }
}
