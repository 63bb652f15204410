/// The writes one event makes, readable as they are made: a fold that changes one row several
/// times for one event (a skill's counters, a queue item) reads its own earlier changes.
public struct EventWrites {
    private let rows: RowReader
    public private(set) var writes: [RowWrite] = []
    private var pending: [String: [[RowValue]: [RowValue]?]] = [:]

    public init(_ rows: RowReader) {
        self.rows = rows
    }

    /// A row as it stands after the writes so far.
    public func row(_ table: ReadModelTable, _ key: [RowValue]) throws -> [RowValue]? {
        if let pending = pending[table.name]?[key] { return pending }
        return try rows.row(table.name, key: key)
    }

    /// Inserts or replaces the row whose key is its leading columns.
    public mutating func put(_ table: ReadModelTable, _ row: [RowValue]) {
        pending[table.name, default: [:]][Array(row.prefix(table.keyColumns))] = .some(row)
        writes.append(.upsert(table: table.name, row: row))
    }

    public mutating func remove(_ table: ReadModelTable, _ key: [RowValue]) {
        pending[table.name, default: [:]][key] = .some(nil)
        writes.append(.delete(table: table.name, key: key))
    }
}

extension EventWrites: RowReader {
    /// A row as it stands after the writes so far, by table name.
    public func row(_ table: String, key: [RowValue]) throws -> [RowValue]? {
        if let pending = pending[table]?[key] { return pending }
        return try rows.row(table, key: key)
    }
}
