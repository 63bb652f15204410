#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LedgerStore
import SystemIO

/// Runs of key-value records in one temporary file, each run sorted by the keys' bytes: where
/// a ``SpillingMap`` puts what its memory held when it fills.
///
/// Why runs and not a tree on disk: a run is written in one sequential pass, while a tree
/// (the SQLite scratch database this replaced) put each key in its place among all the
/// keys before it, reading and rewriting pages all over the file: that cost 11,000
/// instructions a key, a sixth of reading a 70,000-case JUnit report. A key is found again
/// through a Bloom filter of every run, then each run's own (16 bits a key, about 0.15% false
/// positives), then a binary search of the run's sparse index (every 128th key) and one block
/// read (about 12 KB); every key is read back in order by merging the runs, the newest run's
/// record winning where a key repeats.
///
/// ```swift
/// var runs = try SortedRuns()
/// try runs.append([(Array("a".utf8), [1]), (Array("b".utf8), [2])])
/// try runs.append([(Array("a".utf8), [3])])
/// try runs.value(for: Array("a".utf8))         // [3]
/// try runs.forEachMerged { key, value in ... }  // a [3], then b [2]
/// ```
struct SortedRuns {
    private let file: SpoolFile
    private var runs: [Run] = []
    /// Every key of every run, in one filter of fixed size (1 MiB, three probes: 0.1% false
    /// positives at 150,000 keys, 3% at a million): a key in no run, most keys of most
    /// reports, is turned away at once instead of by each of a hundred runs' filters (their
    /// cache misses took seconds at a million cases). Larger, it cost the 64 MB bound: a
    /// SARIF ingest keeps two of these maps.
    private var anyRun = RunFilter(bitCount: 1 << 23, probes: 3)

    /// One run: where its records are, every ``indexStride``th key with its offset, and which
    /// keys it may hold.
    private struct Run {
        var start: Int
        var end: Int
        var index: [(key: [UInt8], offset: Int)] = []
        var filter: RunFilter
    }

    /// Records between two keys of a run's sparse index: what one lookup reads. (Every 32nd
    /// key took 3 MB more at a million cases, against a 64 MB bound.)
    static let indexStride = 128

    /// The bytes read at once while merging, per run (a million cases make 122 runs).
    static let mergeChunk = 4 << 10

    /// Makes the file (in `TMPDIR`, else `/tmp`; unlinked at once).
    ///
    /// - Throws: ``LedgerError`` (`.storage`) when no temporary file can be made.
    init() throws {
        file = try Self.onDisk { try SpoolFile() }
    }

    /// Writes a run: `entries` sorted by key bytes, each key once.
    ///
    /// - Throws: ``LedgerError`` (`.storage`; "is full" when the temporary folder is).
    mutating func append(_ entries: [(key: [UInt8], value: [UInt8])]) throws {
        var run = Run(start: file.size, end: file.size, filter: RunFilter(capacity: entries.count))
        var record: [UInt8] = []
        for (number, entry) in entries.enumerated() {
            if number % Self.indexStride == 0 { run.index.append((entry.key, file.size)) }
            let hash = RunFilter.hash(entry.key)
            run.filter.insert(hash)
            anyRun.insert(hash)
            record.removeAll(keepingCapacity: true)
            Self.appendLength(entry.key.count, to: &record)
            record.append(contentsOf: entry.key)
            Self.appendLength(entry.value.count, to: &record)
            record.append(contentsOf: entry.value)
            try Self.onDisk { try file.write(record) }
        }
        run.end = file.size
        runs.append(run)
    }

    /// The value the newest run holds for `key`, if any.
    ///
    /// - Throws: ``LedgerError`` (`.storage`) when the file cannot be read.
    func value(for key: [UInt8]) throws -> [UInt8]? {
        let hash = RunFilter.hash(key)
        guard anyRun.mayContain(hash) else { return nil }
        for run in runs.reversed() where run.filter.mayContain(hash) {
            // The block that would hold it: from the last indexed key not after it.
            var low = 0, high = run.index.count
            while low < high {
                let middle = (low + high) / 2
                if Self.compare(run.index[middle].key, key) <= 0 { low = middle + 1 } else { high = middle }
            }
            guard low > 0 else { continue }
            let start = run.index[low - 1].offset, end = low < run.index.count ? run.index[low].offset : run.end
            var block: [UInt8] = []
            block.reserveCapacity(end - start)
            try Self.onDisk { try file.read(from: start, count: end - start) { block.append(contentsOf: $0) } }
            var cursor = 0
            while cursor < block.count {
                let (recordKey, value, next) = try Self.record(in: block, at: cursor)
                let order = Self.compare(recordKey, key)
                if order == 0 { return Array(value) }
                if order > 0 { break }
                cursor = next
            }
        }
        return nil
    }

    /// Calls `body` with every key once, in the order of its bytes, and the newest run's value.
    ///
    /// - Throws: ``LedgerError`` (`.storage`) when the file cannot be read, or what `body` throws.
    func forEachMerged(_ body: ([UInt8], [UInt8]) throws -> Void) throws {
        var cursors = runs.map { RunCursor(file: file, offset: $0.start, end: $0.end) }
        // A heap of the runs with records left, by their next key, newest run first on ties.
        var heap: [Int] = []
        func precedes(_ a: Int, _ b: Int) -> Bool {
            let order = Self.compare(cursors[a].key, cursors[b].key)
            return order != 0 ? order < 0 : a > b
        }
        func siftUp(_ start: Int) {
            var child = start
            while child > 0, precedes(heap[child], heap[(child - 1) / 2]) {
                heap.swapAt(child, (child - 1) / 2)
                child = (child - 1) / 2
            }
        }
        func siftDown(_ start: Int) {
            var parent = start
            while true {
                let left = 2 * parent + 1, right = left + 1
                var first = parent
                if left < heap.count, precedes(heap[left], heap[first]) { first = left }
                if right < heap.count, precedes(heap[right], heap[first]) { first = right }
                if first == parent { return }
                heap.swapAt(parent, first)
                parent = first
            }
        }
        func popAndAdvance() throws {
            let top = heap[0]
            if try cursors[top].advance() {
                siftDown(0)
            } else {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
                if !heap.isEmpty { siftDown(0) }
            }
        }
        for index in cursors.indices where try cursors[index].advance() {
            heap.append(index)
            siftUp(heap.count - 1)
        }
        while let top = heap.first {
            let key = cursors[top].key, value = cursors[top].value
            try popAndAdvance()
            // Older runs' records of the same key are passed over.
            while let next = heap.first, cursors[next].key == key { try popAndAdvance() }
            try body(key, value)
        }
    }

    /// Reads one run's records in order, a chunk at a time.
    private struct RunCursor {
        let file: SpoolFile
        /// The file offset of `buffer[position]`.
        var offset: Int
        let end: Int
        var buffer: [UInt8] = []
        var position = 0
        private(set) var key: [UInt8] = []
        private(set) var value: [UInt8] = []

        init(file: SpoolFile, offset: Int, end: Int) {
            self.file = file
            self.offset = offset
            self.end = end
        }

        /// Moves to the next record; false after the last.
        mutating func advance() throws -> Bool {
            guard offset < end else { return false }
            key = Array(try take(Int(SortedRuns.length(try take(4)))))
            value = Array(try take(Int(SortedRuns.length(try take(4)))))
            return true
        }

        private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
            if position + count > buffer.count {
                let wanted = min(max(count, SortedRuns.mergeChunk), end - offset)
                guard wanted >= count else { throw SortedRuns.damaged }
                buffer.removeAll(keepingCapacity: true)
                try SortedRuns.onDisk { try file.read(from: offset, count: wanted) { buffer.append(contentsOf: $0) } }
                position = 0
            }
            defer { position += count; offset += count }
            return buffer[position..<(position + count)]
        }
    }

    // MARK: - Records

    /// A record: the key's length (4 bytes, little-endian), the key, the value's length, the value.
    private static func appendLength(_ length: Int, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: UInt32(length).littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func length(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var value: UInt32 = 0
        for (shift, byte) in bytes.enumerated() { value |= UInt32(byte) << (8 * shift) }
        return value
    }

    /// The record at `offset` of `block`: its key, value and the offset after it.
    private static func record(in block: [UInt8], at offset: Int) throws -> (ArraySlice<UInt8>, ArraySlice<UInt8>, Int) {
        guard offset + 4 <= block.count else { throw damaged }
        let keyStart = offset + 4, keyEnd = keyStart + Int(length(block[offset..<keyStart]))
        guard keyEnd + 4 <= block.count else { throw damaged }
        let valueStart = keyEnd + 4, valueEnd = valueStart + Int(length(block[keyEnd..<valueStart]))
        guard valueEnd <= block.count else { throw damaged }
        return (block[keyStart..<keyEnd], block[valueStart..<valueEnd], valueEnd)
    }

    private static var damaged: LedgerError {
        storageError("a record of a temporary file ends past its run")
    }

    /// Runs `body`, naming a failure of the temporary file as what the user can act on. Only
    /// the file's own reads and writes go through here: what a caller's `body` throws while
    /// the runs are merged reaches it as it was.
    private static func onDisk<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SystemIOError {
            if error.kind == .diskFull { throw LedgerError(.storage, "cannot keep a large report's cases on disk: \(folder) is full; nothing was written") }
            throw storageError(error.message)
        }
    }

    private static let folder = "the temporary folder (TMPDIR, else /tmp)"

    private static func storageError(_ message: String) -> LedgerError {
        LedgerError(.storage, "cannot keep a large report's cases on disk in \(folder): \(message); nothing was written")
    }

    /// Byte order: negative when `a` comes first, 0 when equal.
    static func compare(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Int {
        let result: Int? = a.withContiguousStorageIfAvailable { a in
            b.withContiguousStorageIfAvailable { b in
                let common = min(a.count, b.count)
                let order = common == 0 ? 0 : Int(memcmp(a.baseAddress!, b.baseAddress!, common))
                return order != 0 ? order : a.count - b.count
            }
        } ?? nil
        // Keys without contiguous storage (no caller has them) are gathered first.
        return result ?? compare(Array(a), Array(b))
    }
}

/// A Bloom filter of key hashes: one sized for each run (16 bits a key, five probes: about
/// 0.15% false positives), and one for every run at once (``SortedRuns``'s first gate).
struct RunFilter {
    private var words: [UInt64]
    private let mask: Int
    private let probes: Int

    /// A filter for a run of `capacity` keys.
    init(capacity: Int) {
        var bits = 64
        while bits < capacity * 16 { bits <<= 1 }
        self.init(bitCount: bits, probes: 5)
    }

    /// A filter of `bitCount` bits (a power of two) and `probes` probes a key.
    init(bitCount: Int, probes: Int) {
        words = [UInt64](repeating: 0, count: bitCount / 64)
        mask = bitCount - 1
        self.probes = probes
    }

    /// A hash of the key's bytes, the same for the same bytes in this process.
    static func hash(_ key: [UInt8]) -> UInt64 {
        var hasher = Hasher()
        key.withUnsafeBytes { hasher.combine(bytes: $0) }
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    mutating func insert(_ hash: UInt64) {
        let (first, second) = Self.split(hash)
        for probe in 0..<probes {
            let bit = (first &+ probe &* second) & mask
            words[bit >> 6] |= 1 << UInt64(bit & 63)
        }
    }

    func mayContain(_ hash: UInt64) -> Bool {
        let (first, second) = Self.split(hash)
        for probe in 0..<probes {
            let bit = (first &+ probe &* second) & mask
            if words[bit >> 6] & (1 << UInt64(bit & 63)) == 0 { return false }
        }
        return true
    }

    /// The two halves of a hash that make its probes (double hashing).
    private static func split(_ hash: UInt64) -> (Int, Int) {
        (Int(truncatingIfNeeded: hash), Int(truncatingIfNeeded: hash >> 32) | 1)
    }
}
