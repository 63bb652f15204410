import Events

/// Reads and appends inside one write transaction: what a command that decides from the
/// ledger's state, then records its decision, needs to do atomically.
///
/// Obtained only through ``Ledger/write(_:)``; valid only inside its closure. Everything it
/// appends commits together at the end, or nothing does. Reads see the ledger as of the
/// transaction's start plus what this writer appended.
public final class LedgerWriter {
    private let ledger: Ledger
    private var session: AppendSession

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

    /// The current version of a stream (0 for none), this transaction's appends included.
    public func version(of stream: StreamName) throws -> Int {
        try ledger.mapErrors("read") { try session.version(of: stream) }
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
        var appended = 0
        let result = try mapErrors("append to") {
            try transaction {
                let writer = try LedgerWriter(ledger: self)
                let result = try body(writer)
                appended = try writer.finish().appended
                return result
            }
        }
        checkpointAfter(appended: appended)
        return result
    }
}
