import Events
import Projections

extension ProjectedEvent {
    /// A stored event as projections read it: its payload and recorded time from its stored
    /// envelope, decoded once for every projection that reads it.
    ///
    /// - Throws: ``LedgerError`` (`.corrupt`) when the bytes are not a canonical envelope.
    public static func stored(position: Int, type: String, stream: String, bytes: UnsafeRawBufferPointer) throws -> ProjectedEvent {
        guard let header = StoredEnvelopeHeader(bytes), let data = EventEnvelope.payloadBytes(of: bytes) else {
            throw LedgerError(.corrupt, "the event at position \(position) is not a canonical envelope; run `remedy verify`")
        }
        let event = ProjectedEvent(position: position, type: type, stream: stream, recordedAt: header.text(header.recordedAt, in: bytes), data: Array(data))
        event.prepare()
        return event
    }
}

extension EventStore {
    /// The latest of `projection`'s retroactive events (``Projection/retroactiveTypes``) in
    /// (`after`, `through`]: what its fold up to `through` folds first. nil when there is none,
    /// or the projection has no such types. Read by the type index: such events are few.
    ///
    /// - Throws: ``LedgerError``.
    public func retroactiveEvent(of projection: any Projection.Type, after: Int = 0, through: Int) throws -> ProjectedEvent? {
        guard !projection.retroactiveTypes.isEmpty, through > after else { return nil }
        var query = EventQuery()
        query.types = projection.retroactiveTypes
        // A few such events among all: through the type index, not a scan of every event
        // (170 ms at 1,000,000 events, for each projection rebuilt or travelled in time).
        query.byType = true
        query.fromPosition = after + 1
        query.toPosition = through
        var latest: ProjectedEvent?
        try forEachEvent(query) { position, type, stream, bytes in
            latest = try ProjectedEvent.stored(position: position, type: type, stream: stream, bytes: bytes)
            return true
        }
        return latest
    }

    /// Whether the live tables of `projection`, caught up to `live`, fold the events up to
    /// `position` as a fold to `position` would: no retroactive event lies between the two.
    ///
    /// - Throws: ``LedgerError``.
    public func foldsAlike(_ projection: any Projection.Type, through position: Int, live: Int) throws -> Bool {
        try retroactiveEvent(of: projection, after: position, through: live) == nil
    }
}
