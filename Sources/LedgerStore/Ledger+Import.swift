import Events

extension LedgerWriter {
    /// Stores an event exactly as another ledger stored it (an imported bundle's): its
    /// position, id, stream version, time and bytes unchanged, so the tree and its root are
    /// the same. An event at a position the ledger holds already must be the same event.
    ///
    /// - Throws: ``LedgerError``: `.conflict` when the ledger holds another event at that
    ///   position, `.invalidEvent` when the event does not follow the ledger's last one.
    public func appendStored(_ event: StoredEnvelope) throws {
        try ledger.mapErrors("import into") { try session.appendStored(event) }
    }
}

extension AppendSession {
    mutating func appendStored(_ event: StoredEnvelope) throws {
        let header = event.header
        let body = event.body
        if header.position < nextPosition {
            let stored = try ledger.connection.cachedStatement("SELECT leaf_hash FROM events WHERE position = ?")
            defer { stored.reset() }
            stored.bind(header.position, at: 1)
            guard try stored.step(), TreeHash(bytes: stored.blobBuffer(0)) == event.leafHash else {
                throw LedgerError(.conflict, "the ledger's event at position \(header.position) is not the bundle's: the ledger is not a prefix of the bundle")
            }
            result.duplicates += 1
            return
        }
        guard header.position == nextPosition else {
            throw LedgerError(.invalidEvent, "the next position is \(nextPosition), not \(header.position): the bundle does not continue this ledger")
        }
        let stream = header.text(header.stream, in: body), recordedAt = header.text(header.recordedAt, in: body)
        let current = try version(of: try StreamName(stream))
        guard header.streamVersion == current + 1 else {
            throw LedgerError(.invalidEvent, "stream \(stream) is at version \(current) in the ledger, and the event at position \(header.position) has version \(header.streamVersion)")
        }
        guard recordedAt >= lastRecordedAtText else {
            throw LedgerError(.invalidEvent, "the event at position \(header.position) was recorded before the ledger's last event")
        }
        try insertEvent(position: header.position, id: header.text(header.id, in: body), stream: stream, version: header.streamVersion,
                        type: header.text(header.type, in: body), recordedAt: recordedAt, body: body, leaf: event.leafHash)
        try record(leaf: event.leafHash, stream: StreamName(stream), version: header.streamVersion, position: header.position)
        lastRecordedAtText = recordedAt
    }
}
