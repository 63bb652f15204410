import Events

/// What every store's append does the same way, written once: a batch fed event by event
/// with each error named by its context, an id seen again, a stream's expected version.
package enum AppendRules {
    /// Feeds a batch to `append`, event by event: each result to `onEach`, a refusal named by
    /// the event's context (`line 3: ...`), an empty batch refused.
    package static func feed(
        _ next: () throws -> (ProposedEvent, context: String?)?,
        onEach: (AppendResult) -> Void,
        append: (ProposedEvent) throws -> AppendResult
    ) throws {
        var sawAny = false
        while let (event, context) = try next() {
            sawAny = true
            do {
                onEach(try append(event))
            } catch let error as LedgerError {
                throw context.map { LedgerError(error.code, "\($0): \(error.message)", eventError: error.eventError) } ?? error
            }
        }
        guard sawAny else { throw LedgerError(EventError(.emptyBatch, "the batch is empty: no events to append")) }
    }

    /// An event whose id is stored already: with the same content (its canonical bytes at the
    /// stored position, time and version), the stored event's result, marked a duplicate;
    /// with other content, refused.
    ///
    /// - Throws: ``LedgerError`` (`.idConflict`).
    package static func duplicate(
        _ event: ProposedEvent, id: EventID, of stored: (position: Int, streamVersion: Int, recordedAt: String, body: [UInt8]),
        scratch body: inout [UInt8]
    ) throws -> AppendResult {
        body.removeAll(keepingCapacity: true)
        EventEnvelope.appendCanonical(
            data: event.data, id: id, metadata: event.metadata, position: stored.position,
            recordedAt: stored.recordedAt, schemaVersion: event.schemaVersion, stream: event.stream,
            streamVersion: stored.streamVersion, type: event.type, to: &body)
        guard body == stored.body else {
            throw LedgerError(.idConflict, "event id \(id) already exists at position \(stored.position) with different content; use a new id for a new event")
        }
        return AppendResult(position: stored.position, id: id, stream: event.stream, streamVersion: stored.streamVersion, isDuplicate: true)
    }

    /// Where a write transaction starts: the position after the last event, and the time its
    /// events are recorded at, which never runs backwards in the ledger, whatever the system
    /// clock does.
    package struct Start {
        package var nextPosition: Int
        package var recordedAt: Timestamp
        package var recordedAtText: String
        /// The last event's recorded_at: stored events may not go before it ("" for none).
        package var lastRecordedAtText: String
        package var result: BatchResult
    }

    /// The start of a write transaction over a ledger whose last event is at `lastPosition`,
    /// recorded at `lastRecordedAt`, and whose saved tree is `range`.
    ///
    /// - Throws: ``LedgerError`` (`.corrupt`) when the tree does not cover the events.
    package static func start(range: CompactRange, lastPosition: Int, lastRecordedAt: Timestamp, ledger: String) throws -> Start {
        guard range.size == lastPosition else {
            throw LedgerError(.corrupt, "the ledger \(ledger) has \(lastPosition) events but its tree state covers \(range.size); run `remedy verify`")
        }
        let recordedAt = max(Timestamp.now(), lastRecordedAt)
        return Start(nextPosition: lastPosition + 1, recordedAt: recordedAt, recordedAtText: recordedAt.description,
                     lastRecordedAtText: lastPosition > 0 ? lastRecordedAt.description : "",
                     result: BatchResult(treeHead: TreeHead(size: range.size, root: range.root)))
    }

    /// The version the event gets in its stream, now at `current`.
    ///
    /// - Throws: ``LedgerError`` (`.wrongExpectedVersion`) when the event expects another.
    package static func nextVersion(of event: ProposedEvent, current: Int) throws -> Int {
        if let required = event.expectedVersion.required, required != current {
            throw LedgerError.wrongExpectedVersion(expected: required, stream: event.stream, current: current)
        }
        return current + 1
    }
}

extension EventStore {
    /// Appends one event, idempotently: a batch of one (see ``append(batch:onEach:)``).
    @discardableResult
    public func append(_ event: ProposedEvent) throws -> AppendResult {
        var result: AppendResult?
        var delivered = false
        _ = try append(batch: {
            if delivered { return nil }
            delivered = true
            return (event, nil)
        }, onEach: { result = $0 })
        return result!
    }
}
