/// The writes one event makes, readable as they are made: a fold that changes one row several
/// times for one event (a skill's counters, a queue item) reads its own earlier changes.
public struct EventWrites {
    private let rows: RowReader
    public private(set) var writes: [RowWrite] = []
    /// The rows written so far, latest last: an event changes a handful, so a scan finds them
    /// sooner than hashing their keys would.
    private var pending: [(table: String, key: [RowValue], row: [RowValue]?)] = []

    public init(_ rows: RowReader) {
        self.rows = rows
    }

    /// A row as it stands after the writes so far.
    public func row(_ table: ReadModelTable, _ key: [RowValue]) throws -> [RowValue]? {
        try row(table.name, key: key)
    }

    /// Inserts or replaces the row whose key is its leading columns.
    public mutating func put(_ table: ReadModelTable, _ row: [RowValue]) {
        pending.append((table.name, Array(row.prefix(table.keyColumns)), row))
        writes.append(.upsert(table: table.name, row: row))
    }

    public mutating func remove(_ table: ReadModelTable, _ key: [RowValue]) {
        pending.append((table.name, key, nil))
        writes.append(.delete(table: table.name, key: key))
    }
}

extension EventWrites: RowReader {
    /// A row as it stands after the writes so far, by table name.
    public func row(_ table: String, key: [RowValue]) throws -> [RowValue]? {
        for entry in pending.reversed() where entry.key == key && entry.table == table { return entry.row }
        return try rows.row(table, key: key)
    }
}
