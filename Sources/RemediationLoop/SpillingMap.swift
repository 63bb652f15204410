import Ingest
import LedgerStore
import Projections

/// Values by text key, in memory up to ``memoryLimit`` keys and in ``SortedRuns`` on disk
/// past it: for what an ingest tracks per case of a report that may hold millions of them (a
/// run's tallies, a parser's ``Ingest/ReportScratch``).
///
/// When memory fills, every key in it goes to disk as one run sorted by the keys' bytes; a
/// key met again is read back from the newest run that holds it (each run's Bloom filter
/// keeps the disk out of it for a key never stored, as most keys of most reports are met
/// once).
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
    private var disk: SortedRuns?
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
        guard let disk, let stored = try disk.value(for: Array(key.utf8)) else { return nil }
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
    /// reads the runs alone.
    mutating func seal() throws {
        if disk != nil { try moveToDisk() }
    }

    /// Calls `body` with every key and its value in the order of the keys' UTF-8 bytes (after
    /// ``seal()``).
    func forEachInKeyOrder(_ body: (String, Value) throws -> Void) throws {
        for key in memory.keys.sorted(by: RowValue.textPrecedes) { try body(key, memory[key]!) }
        try disk?.forEachMerged { key, value in
            try body(String(decoding: key, as: UTF8.self), try value.withUnsafeBytes(decode))
        }
    }

    private mutating func moveToDisk() throws {
        if disk == nil { disk = try SortedRuns() }
        // Sorted as bytes, which is the order the runs keep and merge in.
        let entries = memory.map { (key: Array($0.key.utf8), value: encode($0.value)) }
            .sorted { SortedRuns.compare($0.key, $1.key) < 0 }
        try disk!.append(entries)
        memory.removeAll(keepingCapacity: true)
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
