#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Events

/// A value in a read-model row: the two SQLite types read models use, and NULL.
public enum RowValue: Hashable, Sendable, CustomStringConvertible {
    case integer(Int)
    case text(String)
    case null

    public var description: String {
        switch self {
        case .integer(let value): return String(value)
        case .text(let value): return value
        case .null: return "NULL"
        }
    }

    /// The text, or nil for anything else.
    public var text: String? {
        if case .text(let value) = self { return value }
        return nil
    }

    /// The integer, or 0 for anything else (counters start at NULL in no table, but a row
    /// read from a damaged file should not trap).
    public var number: Int {
        if case .integer(let value) = self { return value }
        return 0
    }

    /// `part / whole` with four decimals, as text ("0.8000"); nil when `whole` is 0. Rates are
    /// stored as text so that every reader, SQL or Swift, sees the same digits.
    public static func rate(_ part: Int, of whole: Int) -> String? {
        guard whole > 0 else { return nil }
        let scaled = (part * 10_000 + whole / 2) / whole
        let text = String(scaled % 10_000)
        return "\(scaled / 10_000).\(String(repeating: "0", count: 4 - text.count))\(text)"
    }
}

/// A table a projection owns: its columns and primary key. The SQL to create it is derived
/// here, beside the projection, so the schema people query lives with the code that fills it.
public struct ReadModelTable: Sendable, Equatable {
    public struct Column: Sendable, Equatable {
        public var name: String
        /// `INTEGER` or `TEXT`.
        public var type: String
        public var documentation: String

        public init(_ name: String, _ type: String, _ documentation: String) {
            self.name = name
            self.type = type
            self.documentation = documentation
        }
    }

    public var name: String
    public var columns: [Column]
    /// The leading columns that identify a row.
    public var keyColumns: Int
    /// Further indexes, each a list of columns (for queries by something other than the key).
    public var indexes: [[String]]
    /// Rows are only ever added, never read back or changed by the fold (a log, such as a
    /// timeline): the engine writes them straight through instead of caching them.
    public var appendOnly: Bool
    /// For an append-only table: the column holding the position of the event that added the
    /// row, so the rows as of a position are the rows up to it (what time travel reads back
    /// beside a snapshot of the other tables).
    public var positionColumn: String?
    public var documentation: String

    public init(name: String, columns: [Column], keyColumns: Int, indexes: [[String]] = [], appendOnly: Bool = false,
                positionColumn: String? = nil, documentation: String) {
        self.name = name
        self.columns = columns
        self.keyColumns = keyColumns
        self.indexes = indexes
        self.appendOnly = appendOnly
        self.positionColumn = positionColumn
        self.documentation = documentation
    }

    /// The index of the column `name`.
    public func column(_ name: String) -> Int? {
        columns.firstIndex { $0.name == name }
    }

    /// `CREATE TABLE` for this table under `name` (the live name, or a name to build aside).
    public func createSQL(named name: String) -> String {
        var definitions = columns.map { "\($0.name) \($0.type)" }
        if keyColumns == 1 && columns[0].type == "INTEGER" {
            // A single integer key is the rowid: rows added in key order are appends.
            definitions[0] += " PRIMARY KEY"
            return "CREATE TABLE \(name) (\(definitions.joined(separator: ", "))) STRICT"
        }
        let columnSQL = definitions.joined(separator: ", ")
        let key = columns.prefix(keyColumns).map(\.name).joined(separator: ", ")
        // WITHOUT ROWID: rows live in the primary key's B-tree, one tree per table, not two.
        return "CREATE TABLE \(name) (\(columnSQL), PRIMARY KEY (\(key))) STRICT, WITHOUT ROWID"
    }

    /// `CREATE INDEX` for each of ``indexes``, on the live table (built after a rebuild's rows:
    /// sorting once is cheaper than keeping an index up to date row by row).
    public var createIndexesSQL: [String] {
        indexes.map { columns in
            "CREATE INDEX IF NOT EXISTS \(name)_by_\(columns.joined(separator: "_")) ON \(name) (\(columns.joined(separator: ", ")))"
        }
    }
}

/// An event as projections see it: where it is, what it is, when it was recorded, and its
/// payload. The recording time is part of the event (not a clock), so folds stay pure.
///
/// Several projections read the same event: its payload is decoded once, ahead of them
/// (``prepare()``, on the thread that reads the ledger), and shared. After `prepare` nothing
/// in it changes, so projections on different threads can read it at once.
public final class ProjectedEvent: @unchecked Sendable {
    public let position: Int
    public let type: String
    public let stream: String
    /// The ledger's `recorded_at` (RFC 3339, UTC, milliseconds).
    public let recordedAt: String
    public let data: [UInt8]
    /// The catalogue type of ``type``, nil for a type outside it: read once, where the event is
    /// read, rather than by every projection that switches on it.
    public let loopType: LoopEventType?
    private var decoded: (type: ObjectIdentifier, value: Result<Any, any Error>)?
    private var summary: Result<CaseOutcomeRecorded.Summary, any Error>?

    public init(position: Int, type: String, stream: String, recordedAt: String = "", data: [UInt8]) {
        self.position = position
        self.type = type
        self.stream = stream
        self.recordedAt = recordedAt
        self.data = data
        loopType = LoopEventType(rawValue: type)
    }

    /// Decodes the payload by its catalogue type (for a case outcome, the fields folds read)
    /// and keeps the result, or the error, for every projection that reads the event.
    public func prepare() {
        guard let type = loopType else { return }
        if type == .caseOutcomeRecorded {
            summary = Result { try CaseOutcomeRecorded.summary(from: data) }
        } else {
            func open<T: Decodable>(_: T.Type) {
                decoded = (ObjectIdentifier(T.self), Result { try LoopPayload.decode(T.self, from: data) as Any })
            }
            open(type.payloadType)
        }
    }

    /// The payload decoded as `T`: as prepared, or decoded now (and not kept).
    ///
    /// - Throws: when the payload does not hold a `T`.
    public func decode<T: Decodable>(_: T.Type) throws -> T {
        if let decoded, decoded.type == ObjectIdentifier(T.self), let value = try decoded.value.get() as? T { return value }
        return try LoopPayload.decode(T.self, from: data)
    }

    /// The fields folds read of a case outcome: as prepared, or read now (and not kept).
    ///
    /// - Throws: when the payload is not a case outcome.
    public func outcome() throws -> CaseOutcomeRecorded.Summary {
        if let summary { return try summary.get() }
        return try CaseOutcomeRecorded.summary(from: data)
    }
}

/// A change a projection makes to its tables.
public enum RowWrite: Sendable, Equatable {
    /// Insert or replace the row whose key is its leading columns.
    case upsert(table: String, row: [RowValue])
    case delete(table: String, key: [RowValue])
}

/// Read access to a projection's own rows, as they stand after every write so far.
public protocol RowReader {
    func row(_ table: String, key: [RowValue]) throws -> [RowValue]?
}

/// A read model: a pure fold from events to rows of its own tables.
///
/// `apply` sees one event and the projection's current rows, and returns the writes to make;
/// it touches no clock, disk or store. The engine (in `LedgerStore`) feeds it the events of the
/// types it declares, in ledger order, either into the live tables (catching up from a
/// checkpoint), into tables built aside (a rebuild), or into memory (time travel). Folding the
/// same events always gives the same rows, which is what makes the three agree.
public protocol Projection {
    /// The projection's name: its checkpoint's key and `remedy projections rebuild NAME`.
    static var name: String { get }
    /// Bump when `apply` or the tables change: the projection then rebuilds on first use.
    static var version: Int { get }
    /// The event types `apply` reads; the engine skips the rest before decoding anything.
    static var eventTypes: [String] { get }
    static var tables: [ReadModelTable] { get }

    /// The writes one event makes.
    ///
    /// - Throws: when the event's payload does not decode (a damaged event).
    static func apply(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite]

    /// Whether the engine keeps snapshots of the tables for time travel (the read models do;
    /// state only decisions read, as of now, need not).
    static var keepsSnapshots: Bool { get }

    /// Event types that change how every event before them folds, not only the ones after
    /// (a ``SkillMapAdopted`` re-attributes history): each must also be in ``eventTypes``.
    ///
    /// The tables as of a position are then the fold of every event up to it with the latest
    /// such event up to it folded first, ahead of the first event: the engine folds it first
    /// (a *prelude*) and, when catching up meets a newer one, rebuilds the tables from the
    /// first event with it. `apply` must ignore one at or before the one it already holds,
    /// which is how the prelude's own event, met again in order, and older ones change nothing.
    static var retroactiveTypes: [String] { get }

    /// What folding one of its events costs, relative to the others: how a long fold shares
    /// the projections between its two threads. By default 10 for a projection that reads case
    /// outcomes (nearly every event), 1 for the others.
    static var foldWeight: Int { get }
}

extension Projection {
    public static var keepsSnapshots: Bool { true }
    public static var retroactiveTypes: [String] { [] }
    public static var foldWeight: Int { eventTypes.contains(LoopEventType.caseOutcomeRecorded.rawValue) ? 10 : 1 }
}

/// Rows held in memory: for time travel, and the reference the tests compare tables with.
public final class MemoryRows: RowReader {
    public private(set) var tables: [String: [[RowValue]: [RowValue]]] = [:]
    private let keyColumns: [String: Int]

    public init(_ projection: any Projection.Type) {
        keyColumns = Dictionary(uniqueKeysWithValues: projection.tables.map { ($0.name, $0.keyColumns) })
        for table in projection.tables { tables[table.name] = [:] }
    }

    public func row(_ table: String, key: [RowValue]) -> [RowValue]? {
        tables[table]?[key]
    }

    public func apply(_ writes: [RowWrite]) {
        for write in writes {
            switch write {
            case .upsert(let table, let row): tables[table, default: [:]][Array(row.prefix(keyColumns[table] ?? 1))] = row
            case .delete(let table, let key): tables[table]?[key] = nil
            }
        }
    }

    /// A table's rows sorted by key: how the tests and time travel read them.
    public func rows(_ table: String) -> [[RowValue]] {
        (tables[table] ?? [:]).sorted { RowValue.keyPrecedes($0.key, $1.key) }.map(\.value)
    }

    /// A table's rows whose columns hold the given values, sorted by key.
    public func rows(_ table: ReadModelTable, matching filter: [(column: String, value: RowValue)]) -> [[RowValue]] {
        let conditions = filter.compactMap { condition in table.column(condition.column).map { ($0, condition.value) } }
        return rows(table.name).filter { row in conditions.allSatisfy { row[$0.0] == $0.1 } }
    }
}

extension RowValue {
    /// SQLite's order: NULL, then integers, then text (by bytes).
    public static func precedes(_ lhs: RowValue, _ rhs: RowValue) -> Bool {
        compare(lhs, rhs) < 0
    }

    /// Whether the key `lhs` sorts before `rhs` in SQLite's order of their columns: what a
    /// write-out sorts thousands of keys by, each column compared once.
    public static func keyPrecedes(_ lhs: [RowValue], _ rhs: [RowValue]) -> Bool {
        for (a, b) in zip(lhs, rhs) {
            let order = compare(a, b)
            if order != 0 { return order < 0 }
        }
        return lhs.count < rhs.count
    }

    /// SQLite's order of two values as negative, zero or positive.
    static func compare(_ lhs: RowValue, _ rhs: RowValue) -> Int {
        switch (lhs, rhs) {
        case (.null, .null): return 0
        case (.null, _): return -1
        case (_, .null): return 1
        case (.integer(let a), .integer(let b)): return a < b ? -1 : a == b ? 0 : 1
        case (.integer, .text): return -1
        case (.text, .integer): return 1
        case (.text(let a), .text(let b)): return textOrder(a, b)
        }
    }

    /// SQLite's order of texts (and of blobs): by their UTF-8 bytes, as `memcmp` compares them.
    /// Over the contiguous bytes: a write-out, or a run's cases kept on disk, sorts tens of
    /// thousands of keys at a time.
    public static func textPrecedes(_ a: String, _ b: String) -> Bool {
        textOrder(a, b) < 0
    }

    /// The byte order of two texts as negative, zero or positive.
    private static func textOrder(_ a: String, _ b: String) -> Int {
        // In place for native strings (nearly all): copying the two strings first (`withUTF8`
        // needs them `inout`) was most of a write-out's sort.
        if let ordered = a.utf8.withContiguousStorageIfAvailable({ a in
            b.utf8.withContiguousStorageIfAvailable { b in byteOrder(a, b) }
        }), let ordered {
            return ordered
        }
        var a = a, b = b
        return a.withUTF8 { a in b.withUTF8 { b in byteOrder(a, b) } }
    }

    /// memcmp order: element by element, sorting keys took a tenth of a large ingest.
    private static func byteOrder(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Int {
        let length = min(a.count, b.count)
        let common = length == 0 ? 0 : Int(memcmp(a.baseAddress!, b.baseAddress!, length))
        return common != 0 ? common : a.count < b.count ? -1 : a.count == b.count ? 0 : 1
    }
}
