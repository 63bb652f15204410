import Events

extension EventStore {
    /// The loop every store's ``follow(_:_:afterEachRound:)`` runs: the events stored, then
    /// each round the ones committed since, until `body` or `afterEachRound` returns false or
    /// the query's limit is reached; between rounds, `wait` until new events may be there (a
    /// poll interval, or the server's notification).
    ///
    /// ```swift
    /// try followLoop(query, body, afterEachRound: flush) { usleep(200_000) }
    /// ```
    package func followLoop(
        _ query: EventQuery,
        _ body: (_ position: Int, _ bytes: UnsafeRawBufferPointer) throws -> Bool,
        afterEachRound: () -> Bool,
        wait: () -> Void
    ) throws {
        var after = 0
        var remaining = query.limit
        while remaining != 0 {
            var page = query
            page.limit = remaining
            page.fromPosition = max(query.fromPosition ?? 1, after + 1)
            var stopped = false
            try forEachEvent(page) { position, _, _, bytes in
                after = position
                remaining = remaining.map { $0 - 1 }
                if try !body(position, bytes) { stopped = true }
                return !stopped && remaining != 0
            }
            if stopped || !afterEachRound() || remaining == 0 { return }
            wait()
        }
    }
}
