import Ingest
import LedgerStore
import Projections

/// Values by text key, in memory up to ``memoryLimit`` keys and in a ``ScratchMap`` on disk
/// past it: for what an ingest tracks per case of a report that may hold millions of them (a
/// run's tallies, a parser's ``Ingest/ReportScratch``).
///
/// When memory fills, every key in it moves to disk in key order (SQLite appends to its tree
/// instead of splitting pages all over it). A fixed 1 MiB Bloom filter (``KeyFilter``) says
/// which keys went to disk, so a key never stored (most keys of most reports are met once)
/// is not looked for there.
///
/// ```swift
/// var map = SpillingMap<Int32>(memoryLimit: 8_192, encode: { ... }, decode: { ... })
/// try map.set(1, for: "pkg.Test::test_one")
/// try map.value(for: "pkg.Test::test_one")   // 1
/// ```
struct SpillingMap<Value> {
    /// Keys held in memory before they all move to disk.
    let memoryLimit: Int
    private var memory: [String: Value] = [:]
    private var disk: ScratchMap?
    private var onDisk = KeyFilter()
    private let encode: (Value) -> [UInt8]
    private let decode: (UnsafeRawBufferPointer) throws -> Value

    init(memoryLimit: Int, encode: @escaping (Value) -> [UInt8], decode: @escaping (UnsafeRawBufferPointer) throws -> Value) {
        self.memoryLimit = max(1, memoryLimit)
        self.encode = encode
        self.decode = decode
    }

    /// The value of `key`, from memory or disk.
    ///
    /// - Throws: ``LedgerError`` (`.storage`) when the disk cannot be read, or what `decode` throws.
    func value(for key: String) throws -> Value? {
        if let held = memory[key] { return held }
        guard onDisk.mayContain(key), let stored = try disk?.value(for: key) else { return nil }
        return try stored.withUnsafeBytes(decode)
    }

    /// Stores `value` for `key` (in memory: the key moves to disk with the others when memory fills).
    ///
    /// - Throws: ``LedgerError`` (`.storage`) when memory is full and the disk cannot be written.
    mutating func set(_ value: Value, for key: String) throws {
        memory[key] = value
        if memory.count >= memoryLimit { try moveToDisk() }
    }

    /// Moves what memory holds to disk once the map went there, so ``forEachInKeyOrder(_:)``
    /// reads one sorted sequence.
    mutating func seal() throws {
        if disk != nil { try moveToDisk() }
    }

    /// Calls `body` with every key and its value in the order of the keys' UTF-8 bytes (after
    /// ``seal()``).
    func forEachInKeyOrder(_ body: (String, Value) throws -> Void) throws {
        for key in memory.keys.sorted(by: RowValue.textPrecedes) { try body(key, memory[key]!) }
        try disk?.forEach { key, bytes in try body(key, try decode(bytes)) }
    }

    private mutating func moveToDisk() throws {
        if disk == nil { disk = try ScratchMap() }
        let held = memory, keys = held.keys.sorted(by: RowValue.textPrecedes)
        let encode = encode
        try disk!.set(keys.lazy.map { (key: $0, value: encode(held[$0]!)) })
        for key in keys { onDisk.insert(key) }
        memory.removeAll(keepingCapacity: true)
    }
}

/// A Bloom filter of text keys with a fixed size (2^23 bits, 1 MiB, three probes): false
/// positives grow with the keys (about 0.1% at 150,000, 3% at a million), its memory does not.
struct KeyFilter {
    private var words: [UInt64] = []
    private static let bitCount = 1 << 23

    /// Whether `key` may have been inserted (false: it certainly was not).
    func mayContain(_ key: String) -> Bool {
        guard !words.isEmpty else { return false }
        return Self.probes(key).allSatisfy { words[$0 >> 6] & (1 << UInt64($0 & 63)) != 0 }
    }

    mutating func insert(_ key: String) {
        if words.isEmpty { words = [UInt64](repeating: 0, count: Self.bitCount / 64) }
        for bit in Self.probes(key) { words[bit >> 6] |= 1 << UInt64(bit & 63) }
    }

    /// Three bit positions from one hash (double hashing).
    private static func probes(_ key: String) -> [Int] {
        let hash = UInt64(bitPattern: Int64(key.hashValue))
        let first = Int(truncatingIfNeeded: hash), second = Int(truncatingIfNeeded: hash >> 32) | 1
        return (0..<3).map { (first &+ $0 &* second) & (bitCount - 1) }
    }
}

/// A parser's ``Ingest/ReportScratch`` for an ingest: in memory up to `memoryLimit` keys, on
/// disk past it (``SpillingMap``), so a SARIF log or a TRX file of a million cases does not
/// hold a million keys.
final class SpillingScratch: ReportScratch {
    private var map: SpillingMap<String>

    init(memoryLimit: Int) {
        map = SpillingMap(memoryLimit: memoryLimit, encode: { Array($0.utf8) }, decode: { String(decoding: $0, as: UTF8.self) })
    }

    func value(for key: String) throws -> String? { try map.value(for: key) }

    func set(_ value: String, for key: String) throws { try map.set(value, for: key) }
}
