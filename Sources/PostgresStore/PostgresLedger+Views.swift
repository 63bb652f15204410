import Events
import LedgerCore
import Projections

/// What the read views ask of a store beyond the events: streams by category, where a stream
/// is, positions by time, and the read models as stored or as of a position.
extension PostgresLedger {
    public func eventCountsByType(through position: Int?) throws -> [(type: String, count: Int)] {
        try session.query("SELECT type, count(*) FROM events WHERE position <= $1 GROUP BY type ORDER BY count(*) DESC, type",
                          [.int(position ?? Int.max)]).map { (try $0.text(0), try $0.int(1)) }
    }

    public func streamNames(category: String) throws -> [String] {
        try session.query("SELECT stream FROM events WHERE stream_version = 1 AND stream > $1 AND stream < $2 ORDER BY stream",
                          [.text(category + "-"), .text(category + ".")]).map { try $0.text(0) }
    }

    public func extent(of stream: String) throws -> StreamExtent? {
        try session.transaction {
            guard let first = try session.query("SELECT position FROM events WHERE stream = $1 AND stream_version = 1", [.text(stream)]).first,
                  let last = try session.query("SELECT position, type, stream_version FROM events WHERE stream = $1 ORDER BY stream_version DESC LIMIT 1",
                                               [.text(stream)]).first else { return nil }
            return StreamExtent(stream: stream, firstPosition: try first.int(0), lastPosition: try last.int(0), lastType: try last.text(1), version: try last.int(2))
        }
    }

    public func firstPosition(recordedAtOrAfter time: Timestamp) throws -> Int {
        try session.transaction {
            try PositionSearch.firstPosition(recordedAtOrAfter: time, size: try storedRange().size) { position in
                try session.query("SELECT recorded_at FROM events WHERE position = $1", [.int(position)]).first?.text(0)
            }
        }
    }

    public func readModelsReflect(_ projections: [any Projection.Type], position: Int) throws -> Bool {
        try projections.allSatisfy { projection in
            guard let checkpoint = try projectionCheckpoint(projection.name) else { return false }
            return checkpoint.version == projection.version && checkpoint.position == position
        }
    }

    public func liveLogsReach(_ projection: any Projection.Type, through position: Int) throws -> Bool {
        guard projection.tables.filter(\.appendOnly).allSatisfy({ $0.positionColumn != nil }),
              let live = try projectionCheckpoint(projection.name) else { return false }
        return try live.version == projection.version && live.position >= position
            && foldsAlike(projection, through: position, live: live.position)
    }

    public func logRows(of table: ReadModelTable, in projection: any Projection.Type,
                        matching filter: [(column: String, value: RowValue)], through position: Int) throws -> [[RowValue]]? {
        guard table.appendOnly, let column = table.positionColumn, try liveLogsReach(projection, through: position) else { return nil }
        return try rows(of: table, matching: filter, upTo: (column, position))
    }

    /// Folds the projections from the first event: the server keeps no snapshots yet, so
    /// time travel costs a pass over the events of the types they read.
    public func projectInMemory(_ projections: [any Projection.Type], through position: Int?, logs: Bool) throws -> [MemoryRows] {
        let memories = projections.map { MemoryRows($0) }
        let head = try storedRange().size
        for (projection, memory) in zip(projections, memories) {
            if let prelude = try retroactiveEvent(of: projection, through: min(position ?? head, head)) {
                memory.apply(try projection.apply(prelude, rows: memory))
            }
        }
        var query = EventQuery()
        query.types = Array(Set(projections.flatMap { $0.eventTypes })).sorted()
        query.toPosition = position
        try forEachEvent(query) { (at: Int, type: String, stream: String, bytes: UnsafeRawBufferPointer) -> Bool in
            let event = try ProjectedEvent.stored(position: at, type: type, stream: stream, bytes: bytes)
            for (projection, memory) in zip(projections, memories) where projection.eventTypes.contains(type) {
                memory.apply(try projection.apply(event, rows: memory))
            }
            return true
        }
        return memories
    }

    public func storedBytes(from: Int, to: Int) throws -> (count: Int, bytes: Int) {
        guard let row = try session.query("SELECT count(*), coalesce(sum(length(body)), 0)::bigint FROM events WHERE position BETWEEN $1 AND $2",
                                          [.int(from), .int(to)]).first else { return (0, 0) }
        return (try row.int(0), try row.int(1))
    }

    public func forEachRow(of table: ReadModelTable, _ body: ([RowValue]) throws -> Void) throws {
        for row in try rows(of: table) { try body(row) }
    }

    /// One transaction at REPEATABLE READ: every read in `body` sees the same commit.
    public func readTransaction<T>(_ body: () throws -> T) throws -> T {
        if session.inTransaction { return try body() }
        return try session.transaction {
            try session.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            return try body()
        }
    }

    func projectionCheckpoint(_ name: String) throws -> (version: Int, position: Int)? {
        try session.query("SELECT version, position FROM projection_checkpoints WHERE name = $1", [.text(name)]).first
            .map { (try $0.int(0), try $0.int(1)) }
    }
}
