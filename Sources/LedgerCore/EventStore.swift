import Events
import Projections

/// The store boundary: what a ledger is to everything above it, whatever holds its events
/// (the SQLite file of `LedgerStore` today, a database server for fleets tomorrow).
///
/// A store keeps events append-only, in one global order, each at a position one past the
/// last, and each stream's events at versions one past the last; it keeps the RFC 9162 tree
/// of their leaf hashes and proves inclusion and consistency from it; it keeps projections'
/// tables caught up; and it runs a body in one write transaction, all or nothing. The
/// contract every store must meet is a test suite (`Tests/EventStoreContract`), run against
/// each store.
///
/// ```swift
/// func record(_ event: ProposedEvent, in store: some EventStore) throws -> Int {
///     try store.append(event).position
/// }
/// ```
public protocol EventStore: AnyObject {
    /// What a write transaction sees and appends through.
    associatedtype Writer: EventStoreWriter

    /// Appends one event, idempotently: the same id with the same content is not written
    /// again (``AppendResult/isDuplicate``), the same id with other content is refused.
    ///
    /// - Throws: ``LedgerError`` (`.invalidEvent`, `.wrongExpectedVersion`, `.idConflict`, ...).
    func append(_ event: ProposedEvent) throws -> AppendResult

    /// Appends a batch in one transaction: every event, or (when one is refused) none.
    ///
    /// - Throws: ``LedgerError`` naming the refused event by its context (`line 3`).
    func append(batch next: () throws -> (ProposedEvent, context: String?)?, onEach: (AppendResult) -> Void) throws -> BatchResult

    /// The event at a position.
    ///
    /// - Throws: ``LedgerError`` (`.eventNotFound`).
    func event(position: Int) throws -> StoredEvent

    /// The event with an id.
    ///
    /// - Throws: ``LedgerError`` (`.eventNotFound`).
    func event(id: EventID) throws -> StoredEvent

    /// The events a query selects, in global order.
    func events(_ query: EventQuery) throws -> [StoredEvent]

    /// Calls `body` with each selected event's position, type, stream and stored bytes (valid
    /// only during the call), in global order, without collecting them; `body` returns false
    /// to stop. What folds over a long history read with.
    func forEachEvent(
        _ query: EventQuery,
        _ body: (_ position: Int, _ type: String, _ stream: String, _ bytes: UnsafeRawBufferPointer) throws -> Bool
    ) throws

    /// The tree head over every event.
    func treeHead() throws -> TreeHead

    /// The tree head over the first `size` events.
    ///
    /// - Throws: ``LedgerError`` (`.eventNotFound`) for a size beyond the last event.
    func treeHead(size: Int) throws -> TreeHead

    /// The event at `position` is in the tree of `size` events (default: all of them).
    func inclusionProof(position: Int, size: Int?) throws -> InclusionProof

    /// The tree of `to` events (default: all) extends the tree of `from` events.
    func consistencyProof(from: Int, to: Int?) throws -> ConsistencyProof

    /// The ledger's permanent origin: the first line of its checkpoints.
    func origin() throws -> String

    /// Where the ledger is, as messages name it: a file's path, a server's address without
    /// its password.
    var locationDescription: String { get }

    /// The ledger's size, streams and last event, read in one transaction.
    func status() throws -> LedgerStatus

    /// Follows the ledger like `tail -f`: calls `body` with each selected event, first those
    /// stored, then new ones as they are committed, until `body` or `afterEachRound` returns
    /// false (or the process is interrupted). `afterEachRound` runs whenever the events known
    /// so far are delivered: the place to flush output.
    func follow(
        _ query: EventQuery,
        _ body: (_ position: Int, _ bytes: UnsafeRawBufferPointer) throws -> Bool,
        afterEachRound: () -> Bool
    ) throws

    /// Every stored signed checkpoint, smallest size first.
    func checkpoints() throws -> [SignedCheckpoint]

    /// Brings projections' tables up to date with every event.
    func catchUp(_ projections: [any Projection.Type]) throws -> [CatchUp]

    /// Rebuilds projections' tables from the first event, whatever they hold.
    func rebuild(_ projections: [any Projection.Type]) throws -> [CatchUp]

    /// A projection table's rows whose columns hold the given values, in key order.
    func rows(of table: ReadModelTable, matching filter: [(column: String, value: RowValue)]) throws -> [[RowValue]]

    /// How many events of each type the ledger holds up to `position` (all for nil), most
    /// common first.
    func eventCountsByType(through position: Int?) throws -> [(type: String, count: Int)]

    /// The names of the streams in a category (`run` for `run-...`), in name order.
    func streamNames(category: String) throws -> [String]

    /// Where a stream's events are, or nil when it has none.
    func extent(of stream: String) throws -> StreamExtent?

    /// The first position recorded at or after `time`, or one past the last event.
    func firstPosition(recordedAtOrAfter time: Timestamp) throws -> Int

    /// Whether this process may write the ledger: read models then live in its tables,
    /// caught up on use; otherwise a view reads stored tables only when they are current.
    var isWritable: Bool { get }

    /// Whether the projections' stored tables reflect exactly the events up to `position`.
    func readModelsReflect(_ projections: [any Projection.Type], position: Int) throws -> Bool

    /// Whether a projection's append-only log tables, as stored, hold every row up to
    /// `position` (their rows carry the position that wrote them).
    func liveLogsReach(_ projection: any Projection.Type, through position: Int) throws -> Bool

    /// An append-only log table's rows written up to `position`, from the stored table; nil
    /// when the stored table cannot answer (``liveLogsReach(_:through:)``).
    func logRows(of table: ReadModelTable, in projection: any Projection.Type,
                 matching filter: [(column: String, value: RowValue)], through position: Int) throws -> [[RowValue]]?

    /// The projections folded in memory from the events up to `position` (all for nil): time
    /// travel. With `logs` false, the log tables may be left empty (the caller reads them
    /// from the stored tables).
    func projectInMemory(_ projections: [any Projection.Type], through position: Int?, logs: Bool) throws -> [MemoryRows]

    /// How many events `from...to` holds and their stored bytes' total length: an export's
    /// events member's size before it is written.
    func storedBytes(from: Int, to: Int) throws -> (count: Int, bytes: Int)

    /// Calls `body` with each of a projection table's stored rows, in key order.
    func forEachRow(of table: ReadModelTable, _ body: ([RowValue]) throws -> Void) throws

    /// Runs `body` in one read transaction: everything it reads is as of one commit.
    func readTransaction<T>(_ body: () throws -> T) throws -> T

    /// Checks that a file may be written at `path`: absent, or `replacing` and not the ledger.
    ///
    /// - Throws: ``LedgerError`` (`.conflict`).
    func checkOutput(_ path: String, replacing: Bool) throws

    /// Re-checks every event from its stored bytes and the tree from its leaves.
    func verify(progress: (Int) -> Void) throws -> VerificationReport

    /// Runs `body` in one write transaction: what it appends commits together when it returns,
    /// or not at all if it throws; what it reads does not change under it.
    func write<T>(_ body: (Writer) throws -> T) throws -> T
}

/// A write transaction of an ``EventStore``: appends, and reads as of the transaction.
public protocol EventStoreWriter: AnyObject {
    /// Appends one event within the transaction (see ``EventStore/append(_:)``).
    func append(_ event: ProposedEvent) throws -> AppendResult

    /// The events a query selects, as the transaction sees them (its own appends included).
    func events(_ query: EventQuery) throws -> [StoredEvent]

    /// Each selected event's position, type, stream and bytes, as the transaction sees them
    /// (see ``EventStore/forEachEvent(_:_:)``).
    func forEachEvent(
        _ query: EventQuery,
        _ body: (_ position: Int, _ type: String, _ stream: String, _ bytes: UnsafeRawBufferPointer) throws -> Bool
    ) throws

    /// A stream's current version (0 for a stream with no events).
    func version(of stream: StreamName) throws -> Int

    /// Brings projections' tables up to date within the transaction.
    func catchUp(_ projections: [any Projection.Type]) throws -> [CatchUp]

    /// A projection table's rows as the transaction sees them.
    func rows(of table: ReadModelTable, matching filter: [(column: String, value: RowValue)]) throws -> [[RowValue]]

    /// See the default implementation: a store may stream the rows.
    func forEachRow(of table: ReadModelTable, matching filter: [(column: String, value: RowValue)], _ body: ([RowValue]) throws -> Void) throws

    /// The row of a projection table with this key, as the transaction sees it: what a
    /// decision reads thousands of times, so a store answers it from a prepared statement.
    func row(of table: ReadModelTable, key: [RowValue]) throws -> [RowValue]?

    /// Stores an event exactly as another ledger stored it (an imported bundle's, a migrated
    /// ledger's): position, id, stream version, time and bytes unchanged, so the tree and its
    /// root are the same. An event at a position the ledger holds already must be the same.
    ///
    /// - Throws: ``LedgerError``: `.conflict` for another event at that position,
    ///   `.invalidEvent` for an event that does not follow the ledger's last one.
    func appendStored(_ event: StoredEnvelope) throws

    /// Stores a signed checkpoint (an imported or migrated one) unless one of its size is stored.
    func storeCheckpoint(_ signed: SignedCheckpoint) throws

    /// What this transaction has appended so far, and the tree head it would commit.
    var summary: BatchResult { get }

    /// See the default implementation: a store may look the events up ahead in bulk.
    func prefetch(_ events: [ProposedEvent]) throws

    /// See the default implementation: a store may answer in one query.
    func storedKeys(of table: ReadModelTable, among keys: [RowValue]) throws -> Set<RowValue>
}

extension EventStoreWriter {
    /// Which of `keys` a projection table with a one-column key holds, as the transaction
    /// sees it: a whole window's lookups in one question. One row read each by default.
    public func storedKeys(of table: ReadModelTable, among keys: [RowValue]) throws -> Set<RowValue> {
        Set(try keys.filter { try row(of: table, key: [$0]) != nil })
    }

    /// Tells the store which events are about to be appended, so that it can look up their
    /// streams' versions and their ids in a few queries instead of one each: what a store
    /// whose every read is a round trip to a server does. Nothing by default.
    public func prefetch(_ events: [ProposedEvent]) throws {}

    /// Calls `body` with each row ``rows(of:matching:)`` gives, in key order: a store that can
    /// step through a query's rows holds one at a time (a whole suite's cases, read to decide
    /// a large run). All at once by default.
    public func forEachRow(of table: ReadModelTable, matching filter: [(column: String, value: RowValue)],
                           _ body: ([RowValue]) throws -> Void) throws {
        for row in try rows(of: table, matching: filter) { try body(row) }
    }

    /// The row with this key, found by ``rows(of:matching:)`` on the key columns.
    public func row(of table: ReadModelTable, key: [RowValue]) throws -> [RowValue]? {
        try rows(of: table, matching: zip(table.columns.prefix(table.keyColumns), key).map { ($0.name, $1) }).first
    }
}

extension EventStore {
    /// When the event at `position` was recorded (the epoch for position 0).
    ///
    /// - Throws: ``LedgerError`` (`.eventNotFound`) beyond the ledger's end.
    public func recordedAt(position: Int) throws -> Timestamp {
        guard position > 0 else { return Timestamp(millisecondsSinceEpoch: 0) }
        let stored = try event(position: min(position, try treeHead().size))
        guard let time = try? Timestamp(parsing: stored.recordedAt) else {
            throw LedgerError(.corrupt, "the event at position \(stored.position) has an unreadable recorded_at; run `remedy verify`")
        }
        return time
    }

    /// Every row of a projection table, in key order.
    public func rows(of table: ReadModelTable) throws -> [[RowValue]] {
        try rows(of: table, matching: [])
    }

    /// A typed table's rows whose columns hold the given values, in key order.
    public func rows<Row: ReadModelRow>(_: Row.Type, matching filter: [(column: String, value: RowValue)] = []) throws -> [Row] {
        try rows(of: Row.table, matching: filter).map(Row.init(values:))
    }
}

extension EventStoreWriter {
    /// Every row of a projection table, as the transaction sees it.
    public func rows(of table: ReadModelTable) throws -> [[RowValue]] {
        try rows(of: table, matching: [])
    }

    /// A typed table's rows, in key order, as the transaction sees them.
    public func rows<Row: ReadModelRow>(_: Row.Type, matching filter: [(column: String, value: RowValue)] = []) throws -> [Row] {
        try rows(of: Row.table, matching: filter).map(Row.init(values:))
    }

    /// Each of a typed table's rows, in key order, one at a time (``forEachRow(of:matching:_:)``).
    public func forEachRow<Row: ReadModelRow>(_: Row.Type, matching filter: [(column: String, value: RowValue)] = [],
                                              _ body: (Row) throws -> Void) throws {
        try forEachRow(of: Row.table, matching: filter) { try body(Row(values: $0)) }
    }
}

extension EventStore {
    /// Re-checks the whole ledger, without progress reports.
    public func verify() throws -> VerificationReport {
        try verify(progress: { _ in })
    }
}

extension EventStore {
    /// Brings one projection's tables up to date (see ``catchUp(_:)-([any Projection.Type])``).
    @discardableResult
    public func catchUp(_ projection: any Projection.Type) throws -> CatchUp {
        try catchUp([projection])[0]
    }

    /// Rebuilds one projection from the first event (see ``rebuild(_:)-([any Projection.Type])``).
    @discardableResult
    public func rebuild(_ projection: any Projection.Type) throws -> CatchUp {
        try rebuild([projection])[0]
    }

    /// The projections folded in memory up to `position` (all events for nil), logs included.
    public func projectInMemory(_ projections: [any Projection.Type], through position: Int? = nil) throws -> [MemoryRows] {
        try projectInMemory(projections, through: position, logs: true)
    }
}
