import Projections

/// The SQL the store runs on a read model's table, composed in one place.
extension ReadModelTable {
    /// `a, b`: the key columns, the order rows are read in.
    var keyOrderSQL: String {
        columns.prefix(keyColumns).map(\.name).joined(separator: ", ")
    }

    /// `a = ? AND b = ?`: one row by its key.
    var keyMatchSQL: String {
        columns.prefix(keyColumns).map { "\($0.name) = ?" }.joined(separator: " AND ")
    }

    /// The rows of the table (or of the copy named `storedName`, a rebuild's), in key order:
    /// those whose columns hold the values in `filter` (columns the table does not have are
    /// ignored) and, for a log, that were added up to `position` (``positionColumn``).
    ///
    /// ```swift
    /// let slipped = try GuardRow.table.readRows(on: connection, matching: [("state", .text("slipped"))])
    /// ```
    func readRows(on connection: SQLiteConnection, storedName: String? = nil,
                  matching filter: [(column: String, value: RowValue)] = [], upTo position: Int? = nil) throws -> [[RowValue]] {
        var rows: [[RowValue]] = []
        try forEachRow(on: connection, storedName: storedName, matching: filter, upTo: position) { rows.append($0) }
        return rows
    }

    /// Calls `body` with each row ``readRows(on:storedName:matching:upTo:)`` would return, one
    /// at a time, holding none of them: what a read of a whole suite's cases streams.
    func forEachRow(on connection: SQLiteConnection, storedName: String? = nil, matching filter: [(column: String, value: RowValue)] = [],
                    upTo position: Int? = nil, _ body: ([RowValue]) throws -> Void) throws {
        let known = filter.filter { column($0.column) != nil }
        var conditions = known.map { "\($0.column) = ?" }
        var bindings = known.map { SQLTableRows.sqlValue($0.value) }
        if let position, let positionColumn {
            conditions.append("\(positionColumn) <= ?")
            bindings.append(.int(position))
        }
        let condition = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let statement = try connection.prepare("SELECT * FROM \(storedName ?? name)\(condition) ORDER BY \(keyOrderSQL)")
        try statement.bind(bindings)
        while try statement.step() { try body(SQLTableRows.values(statement, count: columns.count)) }
    }
}
