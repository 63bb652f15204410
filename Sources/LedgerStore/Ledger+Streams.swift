import Events

extension Ledger {
    /// The names of the streams in a category (`run` for `run-...`), in name order.
    ///
    /// One index seek per stream, not a scan of their events: a ledger holds a few thousand
    /// run streams and a million events in them.
    ///
    /// - Throws: ``LedgerError``.
    public func streamNames(category: String) throws -> [String] {
        try mapErrors("read") {
            let statement = try connection.cachedStatement("SELECT stream FROM events WHERE stream > ? AND stream < ? ORDER BY stream LIMIT 1")
            defer { statement.reset() }
            var names: [String] = []
            var after = category + "-"
            let end = category + "."  // "." is the byte after "-"
            while true {
                statement.reset()
                statement.bind(after, at: 1)
                statement.bind(end, at: 2)
                guard try statement.step() else { return names }
                let name = statement.text(0)
                names.append(name)
                // `stream > name` skips this stream's other events: the next seek finds the next name.
                after = name
            }
        }
    }

    /// Where a stream's events are, or nil when it has none.
    ///
    /// - Throws: ``LedgerError``.
    public func extent(of stream: String) throws -> StreamExtent? {
        try mapErrors("read") {
            let first = try connection.cachedStatement("SELECT position FROM events WHERE stream = ? ORDER BY stream_version LIMIT 1")
            defer { first.reset() }
            first.bind(stream, at: 1)
            guard try first.step() else { return nil }
            let firstPosition = first.int(0)
            let last = try connection.cachedStatement("SELECT position, type, stream_version FROM events WHERE stream = ? ORDER BY stream_version DESC LIMIT 1")
            defer { last.reset() }
            last.bind(stream, at: 1)
            guard try last.step() else { return nil }
            return StreamExtent(stream: stream, firstPosition: firstPosition, lastPosition: last.int(0), lastType: last.text(1), version: last.int(2))
        }
    }
}
