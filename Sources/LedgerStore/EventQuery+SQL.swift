import Events
import LedgerCore

/// A query as SQL over the `events` table.
extension EventQuery {
    /// The table to read, with the index to read it by.
    var source: String {
        readsByType ? "events INDEXED BY events_by_type" : "events"
    }

    /// Whether the query asked to be read through the type index (and names types).
    private var readsByType: Bool { byType && !types.isEmpty }

    /// The ORDER BY clause for global order. One stream's events are in global order when in
    /// version order (both grow with each append), which its unique index gives without the
    /// sort (and the sorter's memory, as large as the page cache) that `position` would need.
    var orderClause: String {
        streams.count == 1 && categories.isEmpty && !readsByType ? "ORDER BY stream_version" : "ORDER BY position"
    }

    /// The WHERE clause and its bindings.
    func sqlCondition() -> (whereClause: String, bindings: [SQLiteValue]) {
        var conditions: [String] = []
        var bindings: [SQLiteValue] = []
        if let fromPosition {
            conditions.append("position >= ?")
            bindings.append(.int(fromPosition))
        }
        if let toPosition {
            conditions.append("position <= ?")
            bindings.append(.int(toPosition))
        }
        if !streams.isEmpty {
            conditions.append("stream IN (\(Array(repeating: "?", count: streams.count).joined(separator: ", ")))")
            bindings += streams.map { .text($0.rawValue) }
        }
        if !categories.isEmpty {
            // A range on the stream index instead of LIKE, whose wildcards would need escaping.
            conditions.append("(" + categories.map { _ in "(stream >= ? AND stream < ?)" }.joined(separator: " OR ") + ")")
            for category in categories {
                bindings.append(.text(category + "-"))
                bindings.append(.text(category + "."))  // "." is the byte after "-"
            }
        }
        if !types.isEmpty {
            // `+type` keeps the planner off the type index unless the query asks for it.
            conditions.append("\(byType ? "" : "+")type IN (\(Array(repeating: "?", count: types.count).joined(separator: ", ")))")
            bindings += types.map { .text($0) }
        }
        if let since {
            conditions.append("recorded_at >= ?")
            bindings.append(.text(since.description))
        }
        if let until {
            conditions.append("recorded_at < ?")
            bindings.append(.text(until.description))
        }
        return (conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "), bindings)
    }
}
