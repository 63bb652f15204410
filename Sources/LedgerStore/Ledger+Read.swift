#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Events

extension Ledger {
    static let storedEventColumns = "position, event_id, stream, stream_version, type, recorded_at, body, leaf_hash"

    /// Calls `body` with each matching event's position, type, stream and stored bytes (valid
    /// only during the call), in global order. Return false to stop.
    ///
    /// - Throws: ``LedgerError``, or what `body` throws.
    public func forEachEvent(
        _ query: EventQuery,
        _ body: (_ position: Int, _ type: String, _ stream: String, _ bytes: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try query.validate()
        try mapErrors("read") {
            let query = try narrowedByTime(query)
            let (whereClause, bindings) = query.sqlCondition()
            let limit = query.limit.map { " LIMIT \($0)" } ?? ""
            let statement = try connection.prepare("SELECT position, type, stream, body FROM \(query.source) \(whereClause) \(query.orderClause)\(limit)")
            try statement.bind(bindings)
            while try statement.step() {
                if try !body(statement.int(0), statement.text(1), statement.text(2), statement.blobBuffer(3)) { break }
            }
        }
    }

    /// The matching events, in global order.
    ///
    /// - Throws: ``LedgerError``.
    public func events(_ query: EventQuery) throws -> [StoredEvent] {
        try query.validate()
        return try mapErrors("read") {
            let query = try narrowedByTime(query)
            let (whereClause, bindings) = query.sqlCondition()
            let limit = query.limit.map { " LIMIT \($0)" } ?? ""
            let statement = try connection.prepare("SELECT \(Self.storedEventColumns) FROM \(query.source) \(whereClause) \(query.orderClause)\(limit)")
            try statement.bind(bindings)
            var events: [StoredEvent] = []
            while try statement.step() { events.append(Self.storedEvent(statement)) }
            return events
        }
    }

    /// The event at `position`, or with event id `id`.
    ///
    /// - Throws: ``LedgerError`` with code `.eventNotFound` when there is none.
    public func event(position: Int) throws -> StoredEvent {
        try mapErrors("read") {
            let statement = try connection.prepare("SELECT \(Self.storedEventColumns) FROM events WHERE position = ?")
            statement.bind(position, at: 1)
            guard try statement.step() else {
                throw LedgerError(.eventNotFound, "no event at position \(position) in \(location.path)")
            }
            return Self.storedEvent(statement)
        }
    }

    /// The event with id `id` (any letter case).
    ///
    /// - Throws: ``LedgerError`` with code `.eventNotFound` when there is none.
    public func event(id: EventID) throws -> StoredEvent {
        try mapErrors("read") {
            let statement = try connection.prepare("SELECT \(Self.storedEventColumns) FROM events WHERE event_id = ?")
            statement.bind(id.rawValue, at: 1)
            guard try statement.step() else {
                throw LedgerError(.eventNotFound, "no event with id \(id) in \(location.path)")
            }
            return Self.storedEvent(statement)
        }
    }

    /// Follows the ledger like `tail -f`: calls `body` with each matching event, first those
    /// already stored, then new ones as they are committed, until `body` or `afterEachPoll`
    /// returns false (or the process is interrupted).
    ///
    /// New events are found by polling every `pollInterval` milliseconds on this read-only
    /// connection; each poll is one indexed range query, so following costs next to nothing.
    /// `afterEachPoll` runs after each round, the place to flush output.
    ///
    /// - Throws: ``LedgerError``, or what `body` throws.
    public func follow(
        _ query: EventQuery, pollInterval milliseconds: Int = 200,
        _ body: (_ position: Int, _ bytes: UnsafeRawBufferPointer) throws -> Bool,
        afterEachPoll: () -> Bool = { true }
    ) throws {
        try followLoop(query, body, afterEachRound: afterEachPoll) { usleep(UInt32(milliseconds) * 1000) }
    }

    /// ``follow(_:pollInterval:_:afterEachPoll:)`` every 200 ms, as the store protocol asks.
    public func follow(
        _ query: EventQuery,
        _ body: (_ position: Int, _ bytes: UnsafeRawBufferPointer) throws -> Bool,
        afterEachRound: () -> Bool
    ) throws {
        try follow(query, pollInterval: 200, body, afterEachPoll: afterEachRound)
    }

    /// The file's path.
    public var locationDescription: String { location.path }

    /// Whether the ledger was opened for writing.
    public var isWritable: Bool { mode == .readWrite }

    private static func storedEvent(_ statement: SQLiteStatement) -> StoredEvent {
        StoredEvent(position: statement.int(0), id: statement.text(1), stream: statement.text(2),
                    streamVersion: statement.int(3), type: statement.text(4), recordedAt: statement.text(5),
                    body: statement.blob(6), leafHash: statement.blob(7))
    }
}

extension Ledger {
    /// The query with its time bounds also as position bounds: `recorded_at` never runs
    /// backwards (the append makes sure), so the first event at or after a time is found by a
    /// binary search over positions, about 20 lookups for a million events, instead of a scan.
    /// The time conditions stay in the query too.
    func narrowedByTime(_ query: EventQuery) throws -> EventQuery {
        guard query.since != nil || query.until != nil else { return query }
        var narrowed = query
        if let since = query.since {
            narrowed.fromPosition = max(query.fromPosition ?? 1, try searchPosition(recordedAtOrAfter: since))
        }
        if let until = query.until {
            narrowed.toPosition = min(query.toPosition ?? Int.max, try searchPosition(recordedAtOrAfter: until) - 1)
        }
        return narrowed
    }

    /// The first position recorded at or after `time`, or one past the last event (a binary
    /// search: `recorded_at` never runs backwards).
    ///
    /// - Throws: ``LedgerError``.
    public func firstPosition(recordedAtOrAfter time: Timestamp) throws -> Int {
        try mapErrors("read") { try searchPosition(recordedAtOrAfter: time) }
    }

    private func searchPosition(recordedAtOrAfter time: Timestamp) throws -> Int {
        let statement = try connection.cachedStatement("SELECT recorded_at FROM events WHERE position = ?")
        defer { statement.reset() }
        return try PositionSearch.firstPosition(recordedAtOrAfter: time, size: try storedRange().size) { position in
            statement.reset()
            statement.bind(position, at: 1)
            return try statement.step() ? statement.text(0) : nil
        }
    }
}

extension Ledger {
    /// The number of stored bytes of the events in `from...to`, and how many there are: the
    /// size of an export's events member before it is written (lengths come from the rows'
    /// headers, not their bodies).
    ///
    /// - Throws: ``LedgerError``.
    public func storedBytes(from: Int, to: Int) throws -> (count: Int, bytes: Int) {
        try mapErrors("read") {
            let statement = try connection.prepare("SELECT count(*), coalesce(sum(length(body)), 0) FROM events WHERE position BETWEEN ? AND ?")
            statement.bind(from, at: 1)
            statement.bind(to, at: 2)
            _ = try statement.step()
            return (statement.int(0), statement.int(1))
        }
    }
}
