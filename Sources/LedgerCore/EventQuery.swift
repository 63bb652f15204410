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
    package func validate() throws {
        for category in categories {
            do { try StreamName.validateCategory(category) } catch let error as EventError { throw LedgerError(error) }
        }
    }
}
