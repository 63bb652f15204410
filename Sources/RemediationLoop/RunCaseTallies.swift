import Events
import LedgerStore
import Projections

/// What a run being ingested said of each of its cases so far: attempts, final status, and for
/// a case with a failing attempt what its detection will carry.
///
/// Why not a dictionary alone: a report may hold millions of cases, and the ingest's memory
/// must not grow with it. Up to a limit (8,192 by default) cases live in memory; past it, they
/// move to sorted runs in a temporary file (about 100 bytes a case, see ``SpillingMap``), and
/// a case met again is read back from there. Small runs never touch the disk.
///
/// Cases come back in the order of their keys' UTF-8 bytes, wherever they were kept, so the
/// failures a run detects are numbered the same way at any size.
///
/// ```swift
/// var tallies = RunCaseTallies()
/// try tallies.update("pkg.Test::test_one") { $0.tally.attempts += 1 }
/// try tallies.seal()
/// try tallies.forEachInKeyOrder { key, entry in print(key, entry.tally.finalStatus as Any) }
/// ```
package struct RunCaseTallies {
    /// One case's attempts in the run.
    struct CaseTally: Equatable {
        var attempts: Int32 = 0
        /// The last non-skip status; nil when every attempt was skipped.
        var finalStatus: CaseStatus?
        var sawPass = false
        var sawFailure = false

        /// Both a passing and a failing attempt.
        var isFlaky: Bool { sawPass && sawFailure }
    }

    /// A case's last failure, shortened, its trace and its skill (the last its attempts named
    /// from the first failing one on; a skill map names the same for every attempt): what
    /// its `FailureDetected` says.
    struct FailureNote: Equatable {
        var message: String?
        var traceID: String?
        var skill: String?
    }

    /// What is kept of one case.
    struct Entry: Equatable {
        var tally = CaseTally()
        /// Only for a case with a failing attempt.
        var note: FailureNote?
    }

    /// The cases, in memory up to the limit and on disk past it.
    private var entries: SpillingMap<Entry>
    /// The cases the run named.
    private(set) var count = 0
    /// The cases with a passing and a failing attempt.
    private(set) var flaky = 0

    /// 8,192 cases take about 2 MB in memory, keys included.
    package static let defaultMemoryLimit = 8_192

    init(memoryLimit: Int = defaultMemoryLimit) {
        entries = SpillingMap(memoryLimit: memoryLimit, encode: Self.encode, decode: { try Self.decode($0) })
    }

    /// Whether any attempt of `key` was recorded.
    func contains(_ key: String) throws -> Bool {
        try entries.value(for: key) != nil
    }

    /// Changes the entry of `key` (a new one if the run had not named it).
    mutating func update(_ key: String, _ change: (inout Entry) throws -> Void) throws {
        var entry: Entry
        if let known = try entries.value(for: key) {
            entry = known
        } else {
            entry = Entry()
            count += 1
        }
        let wasFlaky = entry.tally.isFlaky
        try change(&entry)
        if entry.tally.isFlaky && !wasFlaky { flaky += 1 }
        try entries.set(entry, for: key)
    }

    /// Ends the run's recording: once it spilled to disk, the cases still in memory join the rest.
    mutating func seal() throws {
        try entries.seal()
    }

    /// Calls `body` with every case and its entry, in the order of the keys' UTF-8 bytes
    /// (after ``seal()``).
    func forEachInKeyOrder(_ body: (String, Entry) throws -> Void) throws {
        try entries.forEachInKeyOrder(body)
    }

    /// Whether `a` comes before `b` in the order cases are detected in: by UTF-8 bytes, the
    /// order the disk keeps them in.
    static func precedes(_ a: String, _ b: String) -> Bool {
        RowValue.textPrecedes(a, b)
    }

    // MARK: - An entry as bytes

    /// attempts (4 bytes, little-endian), final status (0 none, else 1 + its index), flags
    /// (1 passed, 2 failed, 4 has a note), then for a note its three texts, each a presence
    /// byte and a 4-byte length before its UTF-8.
    static func encode(_ entry: Entry) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8)
        withUnsafeBytes(of: entry.tally.attempts.littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(entry.tally.finalStatus.map { UInt8(statuses.firstIndex(of: $0)! + 1) } ?? 0)
        bytes.append((entry.tally.sawPass ? 1 : 0) | (entry.tally.sawFailure ? 2 : 0) | (entry.note != nil ? 4 : 0))
        if let note = entry.note {
            for text in [note.message, note.traceID, note.skill] {
                guard let text else { bytes.append(0); continue }
                bytes.append(1)
                withUnsafeBytes(of: UInt32(text.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
                bytes.append(contentsOf: text.utf8)
            }
        }
        return bytes
    }

    static func decode(_ bytes: some Collection<UInt8>) throws -> Entry {
        var reader = Array(bytes)[...]
        func take(_ count: Int) throws -> ArraySlice<UInt8> {
            guard reader.count >= count else { throw LoopError(.invalidState, "a run's case kept on disk does not read back") }
            defer { reader = reader.dropFirst(count) }
            return reader.prefix(count)
        }
        func uint32() throws -> UInt32 {
            try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }
        }
        var entry = Entry()
        entry.tally.attempts = Int32(bitPattern: try uint32())
        let status = try take(1).first!
        guard Int(status) <= statuses.count else { throw LoopError(.invalidState, "a run's case kept on disk does not read back") }
        entry.tally.finalStatus = status == 0 ? nil : statuses[Int(status) - 1]
        let flags = try take(1).first!
        entry.tally.sawPass = flags & 1 != 0
        entry.tally.sawFailure = flags & 2 != 0
        if flags & 4 != 0 {
            var texts: [String?] = []
            for _ in 0..<3 {
                if try take(1).first! == 0 { texts.append(nil); continue }
                texts.append(String(decoding: try take(Int(try uint32())), as: UTF8.self))
            }
            entry.note = FailureNote(message: texts[0], traceID: texts[1], skill: texts[2])
        }
        return entry
    }

    private static let statuses: [CaseStatus] = [.pass, .fail, .error, .skip]
}
