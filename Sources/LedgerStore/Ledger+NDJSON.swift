import Events

extension Ledger {
    /// Appends every line of an NDJSON batch (see ``BatchLine``) in one transaction.
    ///
    /// Blank lines are skipped. The first bad line aborts the batch and its error names the
    /// line number; nothing is written. Lines are read in chunks and decoded on a second
    /// thread (``Handoff``) while this one writes, with at most a few MiB of decoded payload
    /// waiting, so memory does not grow with the batch.
    ///
    /// - Throws: ``LedgerError``; `.invalidEvent` for a bad or empty batch.
    @discardableResult
    public func appendNDJSON(from reader: LineReader, onEach: (AppendResult) -> Void = { _ in }) throws -> BatchResult {
        let decoded = Handoff<NumberedEvent>(chunkWeight: 256 << 10, maximumQueuedWeight: 2 << 20, weight: { $0.event.data.count }) { emit in
            while let line = try reader.nextLine() {
                let number = reader.lineNumber
                if let event = try BatchLine.decodeUnlessBlank(line, at: "line \(number)") {
                    guard emit(NumberedEvent(event: event, line: number)) else { return }
                }
            }
        }
        decoded.start()
        defer { decoded.stop() }
        return try append(batch: { try decoded.next().map { ($0.event, "line \($0.line)") } }, onEach: onEach)
    }
}

/// A decoded batch line and its number.
struct NumberedEvent: Sendable {
    var event: ProposedEvent
    var line: Int
}
