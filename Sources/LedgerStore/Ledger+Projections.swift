#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSQLite
import Events
import Projections
import SystemIO

extension Ledger {
    /// Brings projections' tables up to date in one pass over the new events, folding for each
    /// only the events after its checkpoint; a projection seen for the first time, or whose
    /// version changed, is rebuilt (built aside and swapped in). When every checkpoint is
    /// current, nothing is written and no write lock is taken.
    ///
    /// - Throws: ``LedgerError`` (`.corrupt` naming the position of an event a projection cannot read).
    @discardableResult
    public func catchUp(_ projections: [any Projection.Type]) throws -> [CatchUp] {
        guard mode == .readWrite else { throw LedgerError(.readOnly, "the ledger \(location.path) was opened read-only") }
        let current = try mapErrors("read") { () -> [CatchUp]? in
            let end = try storedRange().size
            var results: [CatchUp] = []
            for projection in projections {
                guard let checkpoint = try checkpoint(projection.name), checkpoint.version == projection.version,
                      checkpoint.position == end else { return nil }
                results.append(CatchUp(folded: 0, rebuilt: false, position: end))
            }
            return results
        }
        if let current { return current }
        return try update(projections, rebuildAll: false, action: "update the read models of")
    }

    /// Rebuilds projections from the first event, in one pass over the events: their tables
    /// are built aside and swapped in within one transaction, so an interrupted rebuild leaves
    /// the previous tables in place.
    ///
    /// - Throws: ``LedgerError`` (`.corrupt` naming the position of an event a projection cannot read).
    @discardableResult
    public func rebuild(_ projections: [any Projection.Type]) throws -> [CatchUp] {
        guard mode == .readWrite else { throw LedgerError(.readOnly, "the ledger \(location.path) was opened read-only") }
        return try update(projections, rebuildAll: true, action: "rebuild the read models of")
    }

    /// A table's live rows, sorted by key (catch up first); only those whose columns hold the
    /// values in `filter`, when given (answered from the key or an index that covers them).
    ///
    /// - Throws: ``LedgerError``.

    public func rows(of table: ReadModelTable, matching filter: [(column: String, value: RowValue)] = []) throws -> [[RowValue]] {
        try mapErrors("read") { try table.readRows(on: connection, matching: filter) }
    }

    /// Calls `body` with each of a table's live rows, in key order, without holding them all:
    /// what an export streams into a bundle.
    ///
    /// - Throws: ``LedgerError``, or what `body` throws.
    public func forEachRow(of table: ReadModelTable, _ body: ([RowValue]) throws -> Void) throws {
        try mapErrors("read") { try table.forEachRow(on: connection, body) }
    }

    /// Folds projections in memory, in one pass over the events up to `position` (all of them
    /// for nil): time travel, without touching the live tables, and what read-only ledgers
    /// answer from.
    /// Each starts from the projection's latest snapshot at or before `position`
    /// (``ReadModelSnapshot``), so at most ``LedgerConfiguration/snapshotInterval`` events are folded.
    ///
    /// Without `logs`, the append-only tables (``ReadModelTable/appendOnly``) of a projection
    /// restored from a snapshot hold only the rows added after it: for a caller that reads the
    /// logs from the live tables (``logRows(of:in:matching:through:)``).
    ///
    /// - Throws: ``LedgerError`` (`.corrupt` naming the position of an event a projection cannot
    ///   read, or a damaged snapshot).
    public func projectInMemory(_ projections: [any Projection.Type], through position: Int?,
                                logs: Bool) throws -> [MemoryRows] {
        let memories = projections.map { MemoryRows($0) }
        var targets = zip(projections, memories).map { FoldTarget(projection: $0, after: 0, sink: $1) }
        let through = position ?? Int.max
        for index in targets.indices {
            // A snapshot from before the retroactive event in force was folded without it.
            let prelude = try mapErrors("read") { try retroactiveEvent(of: projections[index], through: min(through, storedRange().size)) }
            targets[index].after = try restoreSnapshot(of: projections[index], through: through, notBefore: prelude?.position ?? 0,
                                                       into: memories[index], logs: logs)
            if targets[index].after == 0 { targets[index].prelude = prelude }
        }
        try fold(&targets, through: through, snapshots: false)
        return memories
    }

    /// Loads the latest usable snapshot of `projection` at or before `position` (and not before
    /// `notBefore`) into `memory`, with the append-only tables' rows up to it; returns its
    /// position (0 for none).
    private func restoreSnapshot(of projection: any Projection.Type, through position: Int, notBefore: Int, into memory: MemoryRows,
                                 logs readLogs: Bool) throws -> Int {
        try mapErrors("read") {
            guard configuration.snapshotInterval > 0, projection.keepsSnapshots, try hasTable("projection_snapshots") else { return 0 }
            let logs = readLogs ? projection.tables.filter(\.appendOnly) : []
            var limit = position
            if !logs.isEmpty {
                // The logs are read back from the live tables: only if they are this version's,
                // and only as far as they reach.
                guard logs.allSatisfy({ $0.positionColumn != nil }), let live = try checkpoint(projection.name),
                      live.version == projection.version, try foldsAlike(projection, through: position, live: live.position) else { return 0 }
                limit = min(limit, live.position)
            }
            let find = try connection.cachedStatement(
                "SELECT position, rows FROM projection_snapshots WHERE name = ? AND version = ? AND position <= ? AND position >= ? ORDER BY position DESC LIMIT 1")
            defer { find.reset() }
            find.bind(projection.name, at: 1)
            find.bind(projection.version, at: 2)
            find.bind(limit, at: 3)
            find.bind(notBefore, at: 4)
            guard try find.step() else { return 0 }
            let at = find.int(0)
            let tables = try ReadModelSnapshot.decode(Array(find.blobBuffer(1)), of: projection)
            for (table, rows) in zip(ReadModelSnapshot.storedTables(of: projection), tables) {
                memory.apply(rows.map { .upsert(table: table.name, row: $0) })
            }
            for table in logs {
                memory.apply(try table.readRows(on: connection, upTo: at).map { .upsert(table: table.name, row: $0) })
            }
            return at
        }
    }

    /// The rows of an append-only table (a log) as of `position`, from the live table, or nil
    /// when the live table cannot say: its projection is at another version, or behind.
    ///
    /// A log's rows never change once added, so the rows up to a position are the rows the
    /// events up to it added; time travel reads them here instead of folding them.
    ///
    /// - Throws: ``LedgerError``.
    public func logRows(of table: ReadModelTable, in projection: any Projection.Type,
                        matching filter: [(column: String, value: RowValue)] = [], through position: Int) throws -> [[RowValue]]? {
        try mapErrors("read") {
            guard table.appendOnly, table.positionColumn != nil, try liveLogsReach(projection, through: position) else { return nil }
            return try table.readRows(on: connection, matching: filter, upTo: position)
        }
    }

    /// Whether the live append-only tables of `projection` hold its rows as of `position`: they
    /// are this version's, caught up at least that far, and say where each row came from.
    ///
    /// - Throws: ``LedgerError``.
    public func liveLogsReach(_ projection: any Projection.Type, through position: Int) throws -> Bool {
        try mapErrors("read") {
            guard projection.tables.filter(\.appendOnly).allSatisfy({ $0.positionColumn != nil }), try hasTable("projection_checkpoints"),
                  let live = try checkpoint(projection.name) else { return false }
            return try live.version == projection.version && live.position >= position
                && foldsAlike(projection, through: position, live: live.position)
        }
    }

    /// Stores the tables of each target that folded past `position` as its snapshot there.
    ///
    /// The encoding goes to a temporary file as the rows are read, then into the blob piece by
    /// piece: memory stays flat however many rows the tables hold (a snapshot of 150,000 cases
    /// once took 50 MB at its peak, as rows and then as bytes).
    private func takeSnapshots(_ targets: [FoldTarget], at position: Int) throws {
        // A fold's tables before its prelude's own position are no past state of the ledger.
        for target in targets where target.after < position && target.projection.keepsSnapshots && (target.prelude?.position ?? 0) <= position {
            let spool = try Self.spooling { try SpoolFile() }
            let tables = try Self.spooling {
                try ReadModelSnapshot.encode(target.projection, rows: { try target.sink.forEachRow($0, $1) }, write: { try spool.write($0) })
            }
            let size = tables.reduce(0) { $0 + ReadModelSnapshot.countPrefix($1.rows).count + $1.bytes }
            try foldLock.run {
                let store = try connection.cachedStatement(
                    "INSERT OR REPLACE INTO projection_snapshots (name, version, position, rows) VALUES (?, ?, ?, zeroblob(?))")
                store.reset()
                store.bind(target.projection.name, at: 1)
                store.bind(target.projection.version, at: 2)
                store.bind(position, at: 3)
                store.bind(size, at: 4)
                try store.run()
                try connection.fillBlob(table: "projection_snapshots", column: "rows", rowid: connection.lastInsertRowid) { write in
                    var offset = 0
                    for table in tables {
                        try ReadModelSnapshot.countPrefix(table.rows).withUnsafeBytes { try write($0) }
                        try Self.spooling { try spool.read(from: offset, count: table.bytes) { try write($0) } }
                        offset += table.bytes
                    }
                }
            }
        }
    }

    /// Runs `body`, naming a temporary file's failure as the snapshot's.
    private static func spooling<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as SystemIOError {
            throw LedgerError(.storage, "cannot take a read-model snapshot: \(error.message)")
        }
    }

    /// Catches up (or rebuilds) `projections` in one transaction and one pass over the events.
    private func update(_ projections: [any Projection.Type], rebuildAll: Bool, action: String) throws -> [CatchUp] {
        try mapErrors(action) {
            try transaction { try updateInTransaction(projections, rebuildAll: rebuildAll) }
        }
    }

    /// The body of ``update(_:rebuildAll:action:)``, inside a write transaction already begun
    /// (a command's own, for ``LedgerWriter/catchUp(_:)``).
    func updateInTransaction(_ projections: [any Projection.Type], rebuildAll: Bool) throws -> [CatchUp] {
        // A projection named twice would fold every event twice into the same tables.
        var seen = Set<String>()
        guard projections.allSatisfy({ seen.insert($0.name).inserted }) else {
            throw LedgerError(.invalidEvent, "a projection is named twice: \(projections.map { $0.name }.joined(separator: ", "))")
        }
        let aside = "__rebuild"
        let end = try storedRange().size
        var targets: [FoldTarget] = []
        var rebuilt: [Bool] = []
        for projection in projections {
            let checkpoint = try self.checkpoint(projection.name)
            // A retroactive event since the checkpoint changes how every earlier event folds.
            let retroactive = try checkpoint.flatMap { try retroactiveEvent(of: projection, after: $0.position, through: end) }
            if !rebuildAll, retroactive == nil, let checkpoint, checkpoint.version == projection.version {
                targets.append(FoldTarget(projection: projection, after: checkpoint.position,
                                          sink: try SQLTableRows(self, projection, suffix: "")))
                rebuilt.append(false)
            } else {
                // Snapshots of another version no longer describe these tables. (Those before a
                // retroactive event still describe them as they were there: time travel takes
                // a snapshot only at or after the retroactive event in force where it travels to.)
                let drop = try connection.cachedStatement("DELETE FROM projection_snapshots WHERE name = ? AND version <> ?")
                drop.bind(projection.name, at: 1)
                drop.bind(projection.version, at: 2)
                try drop.run()
                for table in projection.tables {
                    try connection.execute("DROP TABLE IF EXISTS \(table.name)\(aside)")
                    try connection.execute(table.createSQL(named: table.name + aside))
                }
                targets.append(FoldTarget(projection: projection, after: 0, sink: try SQLTableRows(self, projection, suffix: aside),
                                          prelude: try retroactive ?? retroactiveEvent(of: projection, through: end)))
                rebuilt.append(true)
            }
        }
        try fold(&targets, through: end, snapshots: true)
        // The folds' caches are gone: give their memory back before the command goes on.
        if targets.contains(where: { $0.folded > 0 }) { returnFreedMemory() }
        for (index, target) in targets.enumerated() {
            if rebuilt[index] {
                for table in target.projection.tables {
                    try connection.execute("DROP TABLE IF EXISTS \(table.name)")
                    try connection.execute("ALTER TABLE \(table.name)\(aside) RENAME TO \(table.name)")
                    for sql in table.createIndexesSQL { try connection.execute(sql) }
                }
            }
            try saveCheckpoint(target.projection, position: end)
        }
        return targets.enumerated().map { CatchUp(folded: $1.folded, rebuilt: rebuilt[$0], position: end) }
    }

    /// Folds the events in (target.after, through] of each target's types into its rows, in
    /// one pass over the ledger, and flushes what the sinks hold back.
    ///
    /// Two threads share the work: a second, read-only connection reads the events and decodes
    /// their payloads while this thread applies the folds and writes their rows. Events cross
    /// in small chunks: measured at 1M events, chunks of 32 to 64 events rebuilt in 3.4 s and
    /// chunks of 2,048 in 5.4 s (the events no longer in cache when the folds read them).
    ///
    /// With `snapshots`, each time the fold passes a multiple of the snapshot interval, the
    /// tables of every target are stored as they stand there (``ReadModelSnapshot``).
    ///
    /// A long fold into the ledger's tables (a rebuild, a large catch-up) of several projections
    /// runs in two lanes on two threads, each lane its own projections over its own read of the events:
    /// the folds' own work, not SQLite, is most of the time, and a projection's events stay in
    /// order within its lane. Both lanes write through the command's connection, each statement
    /// under ``foldLock``.
    private func fold(_ targets: inout [FoldTarget], through: Int, snapshots: Bool) throws {
        // A second lane costs a thread and a connection of its own: worth it for long folds only.
        let span = through - (targets.map(\.after).min() ?? through)
        guard snapshots, targets.count >= 2, span >= configuration.twoLaneFoldMinimum, sysconf(Int32(_SC_NPROCESSORS_ONLN)) >= 2 else {
            return try foldLane(&targets, through: through, snapshots: snapshots)
        }
        let lanes = Self.lanes(targets)
        // Both lanes read nearly every event (the case outcomes): each event is read and
        // decoded once for both, by whichever lane needs it first (at 200,000 events, 2.3 G
        // instructions fewer than a reader each; no third thread to take turns with the lanes).
        let (types, after) = Self.eventsToRead(targets)
        let chunks = try EventChunks(self, types: types, after: after, through: through)
        // 64 chunks of 32 events (about 2 MB) let a lane run ahead of the other through a
        // snapshot (tens of milliseconds): with 16, each lane waited 0.25 s for room at 1M events.
        let events = SharedReads<ProjectedEvent>(readers: 2, maximumQueuedChunks: 64) { try chunks.next(32) }
        defer { events.stop() }
        let second = LaneTargets(lanes[1].map { targets[$0] })
        let secondReader = events.readers[1]
        let other = Handoff<Int>(chunkSize: 1, chunkWeight: 1, maximumQueuedWeight: 1) { _ in
            // Leaving, even on an error, so that the reader never waits for this lane.
            defer { secondReader.stop() }
            try self.foldLane(&second.targets, through: through, snapshots: snapshots, events: secondReader.next)
        }
        // Without a second thread, the two lanes would wait for each other: one lane, then.
        guard other.start() else { return try foldLane(&targets, through: through, snapshots: snapshots) }
        var first = lanes[0].map { targets[$0] }
        do {
            defer { events.readers[0].stop() }
            try foldLane(&first, through: through, snapshots: snapshots, events: events.readers[0].next)
        } catch {
            events.stop()
            other.stop()
            throw error
        }
        while try other.next() != nil {}
        for (lane, folded) in [(lanes[0], first), (lanes[1], second.targets)] {
            for (index, target) in zip(lane, folded) { targets[index] = target }
        }
    }

    /// Two lanes of about the same work (``Projection/foldWeight``): the heaviest projections
    /// are placed first, each in the lighter lane.
    private static func lanes(_ targets: [FoldTarget]) -> [[Int]] {
        let weights = targets.map { $0.projection.foldWeight }
        var lanes: [[Int]] = [[], []], load = [0, 0]
        for index in targets.indices.sorted(by: { (weights[$0], $1) > (weights[$1], $0) }) {
            let lane = load[0] <= load[1] ? 0 : 1
            lanes[lane].append(index)
            load[lane] += weights[index]
        }
        return lanes
    }

    /// Folds the events in (target.after, through] of each target's types into its rows, in
    /// one pass over the ledger, and flushes what the sinks hold back (see ``fold(_:through:snapshots:)``).
    ///
    /// The events come from `events` (a reader shared with another lane, giving at least the
    /// events of these targets' types from the first position any of them needs), or from a
    /// reader of this lane's own.
    private func foldLane(_ targets: inout [FoldTarget], through: Int, snapshots: Bool,
                          events shared: (() throws -> ProjectedEvent?)? = nil) throws {
        guard let first = targets.map(\.after).min() else { return }
        let interval = snapshots ? configuration.snapshotInterval : 0
        // The next position to snapshot at: every event up to it is folded once the fold
        // reaches an event after it (or the end).
        var boundary = interval > 0 ? (first / interval + 1) * interval : Int.max
        // Which targets read each event type: one dictionary lookup per event.
        var readers: [String: [Int]] = [:]
        for (index, target) in targets.enumerated() {
            for type in Set(target.projection.eventTypes) { readers[type, default: []].append(index) }
        }
        var own: Handoff<ProjectedEvent>?
        if shared == nil {
            let (types, after) = Self.eventsToRead(targets)
            own = Handoff<ProjectedEvent>(chunkSize: 32, chunkWeight: 32, maximumQueuedWeight: 512) { emit in
                try self.readEvents(types, after: after, through: through, emit)
            }
            own?.start()
        }
        defer { own?.stop() }
        let next = shared ?? { try own!.next() }
        for target in targets {
            if let prelude = target.prelude { try target.sink.apply(try fold(prelude, into: target)) }
        }
        // Nearly every event is of the type before it (a run's outcomes): its readers are
        // looked up again only when the type changes.
        var last: (type: LoopEventType, readers: [Int])?
        while let event = try next() {
            while boundary < event.position {
                try takeSnapshots(targets, at: boundary)
                boundary += interval
            }
            let eventReaders: [Int]
            if let last, last.type == event.loopType {
                eventReaders = last.readers
            } else {
                eventReaders = readers[event.type] ?? []
                last = event.loopType.map { ($0, eventReaders) }
            }
            for index in eventReaders where event.position > targets[index].after {
                try targets[index].sink.apply(try fold(event, into: targets[index]))
                targets[index].folded += 1
            }
        }
        while interval > 0 && boundary <= through {
            try takeSnapshots(targets, at: boundary)
            boundary += interval
        }
        for target in targets { try target.sink.flush() }
    }

    /// The event types the targets read, and the position after which the first of them starts.
    private static func eventsToRead(_ targets: [FoldTarget]) -> (types: [String], after: Int) {
        var types = Set<String>()
        for target in targets { types.formUnion(target.projection.eventTypes) }
        return (types.sorted(), targets.map(\.after).min() ?? 0)
    }

    /// Reads the events of `types` in (after, through], in order, each one's payload decoded for
    /// the folds (``ProjectedEvent/prepare()``), and hands them to `emit` until it returns false.
    /// Runs on a reader thread, on a read-only connection of its own.
    private func readEvents(_ types: [String], after: Int, through: Int, _ emit: (ProjectedEvent) -> Bool) throws {
        let chunks = try EventChunks(self, types: types, after: after, through: through)
        while let chunk = try chunks.next(32) {
            for event in chunk { guard emit(event) else { return } }
        }
    }

    /// The writes `event` makes in `target`'s projection, or the error naming it.
    private func fold(_ event: ProjectedEvent, into target: FoldTarget) throws -> [RowWrite] {
        do {
            return try target.projection.apply(event, rows: target.sink)
        } catch {
            throw LedgerError(.corrupt, "the event at position \(event.position) (\(event.type)) does not fold into the "
                              + "\(target.projection.name) read model: \(DecodingErrorText.describe(error)); run `remedy verify`")
        }
    }

    /// Whether every projection's tables exist at its current version and reflect exactly the
    /// events up to `position`: then they can be read as they are, even on a read-only ledger.
    ///
    /// - Throws: ``LedgerError``.
    public func readModelsReflect(_ projections: [any Projection.Type], position: Int) throws -> Bool {
        try mapErrors("read") {
            guard try hasTable("projection_checkpoints") else { return false }
            for projection in projections {
                guard let checkpoint = try checkpoint(projection.name), checkpoint.version == projection.version,
                      checkpoint.position == position else { return false }
            }
            return true
        }
    }

    private func checkpoint(_ name: String) throws -> (version: Int, position: Int)? {
        let statement = try connection.cachedStatement("SELECT version, position FROM projection_checkpoints WHERE name = ?")
        defer { statement.reset() }
        statement.bind(name, at: 1)
        guard try statement.step() else { return nil }
        return (statement.int(0), statement.int(1))
    }

    private func saveCheckpoint(_ projection: any Projection.Type, position: Int) throws {
        let statement = try connection.cachedStatement("INSERT OR REPLACE INTO projection_checkpoints (name, version, position) VALUES (?, ?, ?)")
        statement.bind(projection.name, at: 1)
        statement.bind(projection.version, at: 2)
        statement.bind(position, at: 3)
        try statement.run()
    }
}

/// The events a fold reads, in order, a chunk at a time, each one's payload decoded for the folds
/// (``ProjectedEvent/prepare()``): over a read-only connection of its own, on whichever thread
/// asks (one at a time).
private final class EventChunks: @unchecked Sendable {
    private let ledger: Ledger
    private let connection: SQLiteConnection
    private let statement: SQLiteStatement
    private var done = false

    /// The events of `types` in (after, through].
    init(_ ledger: Ledger, types: [String], after: Int, through: Int) throws {
        var query = EventQuery()
        query.types = types
        query.fromPosition = after + 1
        query.toPosition = through
        let (whereClause, bindings) = query.sqlCondition()
        let sql = "SELECT position, type, stream, recorded_at, body FROM events \(whereClause) ORDER BY position"
        self.ledger = ledger
        (connection, statement) = try ledger.mapErrors("read") {
            let connection = try ledger.readerConnection()
            let statement = try connection.prepare(sql)
            try statement.bind(bindings)
            return (connection, statement)
        }
    }

    /// The next `count` events or fewer, nil after the last.
    ///
    /// - Throws: ``LedgerError`` (`.corrupt` for an event without a payload).
    func next(_ count: Int) throws -> [ProjectedEvent]? {
        guard !done else { return nil }
        return try ledger.mapErrors("read") {
            var events: [ProjectedEvent] = []
            events.reserveCapacity(count)
            while events.count < count {
                // Stepping past the end would start the query over.
                guard try statement.step() else {
                    done = true
                    break
                }
                let position = statement.int(0)
                guard let data = EventEnvelope.payloadBytes(of: statement.blobBuffer(4)) else {
                    throw LedgerError(.corrupt, "the event at position \(position) has no payload; run `remedy verify`")
                }
                let event = ProjectedEvent(position: position, type: statement.text(1), stream: statement.text(2),
                                           recordedAt: statement.text(3), data: Array(data))
                event.prepare()
                events.append(event)
            }
            return events.isEmpty ? nil : events
        }
    }
}

/// The targets of a fold's second lane, changed on its thread and read back once it is done.
private final class LaneTargets: @unchecked Sendable {
    var targets: [FoldTarget]

    init(_ targets: [FoldTarget]) {
        self.targets = targets
    }
}

/// One projection being folded: where it starts and where its writes go.
private struct FoldTarget {
    var projection: any Projection.Type
    var after: Int
    var sink: any RowSink
    /// The retroactive event folded first, ahead of the events (``Projection/retroactiveTypes``).
    var prelude: ProjectedEvent?
    var folded = 0

    init(projection: any Projection.Type, after: Int, sink: any RowSink, prelude: ProjectedEvent? = nil) {
        self.projection = projection
        self.after = after
        self.sink = sink
        self.prelude = prelude
    }
}

/// Somewhere a fold's writes go: tables in the ledger, or memory.
protocol RowSink: RowReader {
    func apply(_ writes: [RowWrite]) throws
    /// Writes out whatever the sink holds back.
    func flush() throws
    /// Calls `body` with every row of a table as it stands, in key order, one at a time.
    func forEachRow(_ table: ReadModelTable, _ body: ([RowValue]) throws -> Void) throws
}

extension MemoryRows: RowSink {
    func flush() {}

    func forEachRow(_ table: ReadModelTable, _ body: ([RowValue]) throws -> Void) throws {
        for row in rows(table.name) { try body(row) }
    }
}

extension Ledger {
    /// Runs SQL on the ledger's connection: for tests that simulate another version of a
    /// projection or a damaged file. Not for production code, which goes through the API.
    @_spi(Testing) public func execute(_ sql: String) throws {
        try mapErrors("write") { try connection.execute(sql) }
    }

    /// The integer a query gives: for tests that look at the file itself.
    @_spi(Testing) public func scalar(_ sql: String) throws -> Int? {
        try mapErrors("read") { try connection.scalarInt(sql) }
    }
}
