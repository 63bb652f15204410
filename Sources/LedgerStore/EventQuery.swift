import Events

/// Which events to read: filters that combine with AND (values within one filter with OR).
///
/// ```swift
/// var query = EventQuery()
/// query.categories = ["fix"]
/// query.types = ["FixProposed", "FixMerged"]
/// query.limit = 100
/// ```
public struct EventQuery: Sendable, Equatable {
    /// Exact stream names.
    public var streams: [StreamName] = []
    /// Stream categories (the part of the name before the first `-`).
    public var categories: [String] = []
    /// Event types.
    public var types: [String] = []
    /// First and last global position, inclusive.
    public var fromPosition: Int?
    public var toPosition: Int?
    /// Recorded at or after `since`, and strictly before `until`.
    public var since: Timestamp?
    public var until: Timestamp?
    /// At most this many events.
    public var limit: Int?
    /// Read through the index of event types: for a few types among many events. Otherwise
    /// the types filter the events the position or stream index finds.
    public var byType = false

    public init() {}

    /// Checks the filters a caller could get wrong: categories must be bare (no `-`).
    ///
    /// - Throws: ``LedgerError`` (`.invalidEvent`) naming the bad category.
    func validate() throws {
        for category in categories {
            do { try StreamName.validateCategory(category) } catch let error as EventError { throw LedgerError(error) }
        }
    }

    /// The table to read, with the index to read it by.
    var source: String {
        byType && !types.isEmpty ? "events INDEXED BY events_by_type" : "events"
    }

    /// The WHERE clause and its bindings, events after `afterPosition` only.
    func sql(afterPosition: Int?) -> (whereClause: String, bindings: [SQLiteValue]) {
        var conditions: [String] = []
        var bindings: [SQLiteValue] = []
        if let afterPosition {
            conditions.append("position > ?")
            bindings.append(.int(afterPosition))
        }
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
