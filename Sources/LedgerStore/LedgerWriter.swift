import Events
import Projections

/// Reads and appends inside one write transaction: what a command that decides from the
/// ledger's state, then records its decision, needs to do atomically.
///
/// Obtained only through ``Ledger/write(_:)``; valid only inside its closure. Everything it
/// appends commits together at the end, or nothing does. Reads see the ledger as of the
/// transaction's start plus what this writer appended.
public final class LedgerWriter {
    let ledger: Ledger
    var session: AppendSession

    fileprivate init(ledger: Ledger) throws {
        self.ledger = ledger
        self.session = try AppendSession(ledger: ledger)
    }

    /// Appends one event (idempotently, as ``Ledger/append(_:)`` does).
    ///
    /// - Throws: ``LedgerError``; the whole transaction then rolls back.
    @discardableResult
    public func append(_ event: ProposedEvent) throws -> AppendResult {
        try ledger.mapErrors("append to") { try session.append(event) }
    }

    /// Each matching event's position, type, stream and stored bytes, as
    /// ``Ledger/forEachEvent(_:_:)`` gives them.
    public func forEachEvent(
        _ query: EventQuery,
        _ body: (_ position: Int, _ type: String, _ stream: String, _ bytes: UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        try ledger.forEachEvent(query, body)
    }

    /// The matching events.
    public func events(_ query: EventQuery) throws -> [StoredEvent] {
        try ledger.events(query)
    }

    /// What this writer has appended so far, and the tree head it would commit.
    public var summary: BatchResult { session.summary }

    /// The current version of a stream (0 for none), this transaction's appends included.
    public func version(of stream: StreamName) throws -> Int {
        try ledger.mapErrors("read") { try session.version(of: stream) }
    }

    /// Brings projections up to date inside this transaction, before this writer appends any
    /// event they fold: a decision can then read read models that reflect exactly the ledger it
    /// decides on. (They fold the committed events; an event of another type appended already
    /// in this transaction changes nothing they hold.)
    ///
    /// - Throws: ``LedgerError`` (`.invalidEvent` once this writer has appended an event of a
    ///   type they fold).
    @discardableResult
    public func catchUp(_ projections: [any Projection.Type]) throws -> [CatchUp] {
        guard try !ledger.mapErrors("read", { try session.hasAppended(anyOf: Array(Set(projections.flatMap { $0.eventTypes })).sorted()) }) else {
            throw LedgerError(.invalidEvent, "read models are caught up before a transaction appends events they fold, not after")
        }
        return try ledger.mapErrors("update the read models of") { try ledger.updateInTransaction(projections, rebuildAll: false) }
    }

    /// Stores a signed checkpoint (an imported bundle's) unless one of its size is stored.
    ///
    /// - Throws: ``LedgerError``.
    public func storeCheckpoint(_ signed: SignedCheckpoint) throws {
        try ledger.mapErrors("import into") {
            if try !ledger.checkpoints().contains(where: { $0.checkpoint.size == signed.checkpoint.size }) { try ledger.insertCheckpoint(signed) }
        }
    }

    /// A read model's rows, as ``Ledger/rows(of:matching:)`` gives them.
    public func rows(of table: ReadModelTable, matching filter: [(column: String, value: RowValue)] = []) throws -> [[RowValue]] {
        try ledger.rows(of: table, matching: filter)
    }

    /// Each of a read model's rows, one at a time, as ``rows(of:matching:)`` gives them.
    public func forEachRow(of table: ReadModelTable, matching filter: [(column: String, value: RowValue)],
                           _ body: ([RowValue]) throws -> Void) throws {
        try ledger.mapErrors("read") { try table.forEachRow(on: ledger.connection, matching: filter, body) }
    }

    /// The row of a read-model table with this key, as this transaction sees it (from a
    /// statement prepared once per connection).
    public func row(of table: ReadModelTable, key: [RowValue]) throws -> [RowValue]? {
        try ledger.mapErrors("read") {
            let statement = try ledger.connection.cachedStatement("SELECT * FROM \(table.name) WHERE \(table.keyMatchSQL)")
            defer { statement.reset() }
            try statement.bind(key.map(SQLTableRows.sqlValue))
            return try statement.step() ? SQLTableRows.values(statement, count: table.columns.count) : nil
        }
    }


    fileprivate func finish() throws -> BatchResult {
        try ledger.mapErrors("append to") { try session.finish() }
    }
}

extension Ledger {
    /// Runs `body` in one write transaction (`BEGIN IMMEDIATE`): reads in it see a stable
    /// ledger, and what it appends commits together when it returns, or not at all if it throws.
    ///
    /// - Throws: ``LedgerError``, or what `body` throws; nothing is written then.
    public func write<T>(_ body: (LedgerWriter) throws -> T) throws -> T {
        guard mode == .readWrite else {
            throw LedgerError(.readOnly, "the ledger \(location.path) was opened read-only")
        }
        return try mapErrors("append to") {
            try transaction {
                let writer = try LedgerWriter(ledger: self)
                let result = try body(writer)
                return (result: result, appended: try writer.finish().appended)
            }
        }.result
    }
}

/// The SQLite ledger is an ``EventStore``; its write transactions are ``EventStoreWriter``s.
extension Ledger: EventStore {}
extension LedgerWriter: EventStoreWriter {}
