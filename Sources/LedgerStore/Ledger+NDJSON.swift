import Events

extension Ledger {
    /// Appends every line of an NDJSON batch (see ``BatchLine``) in one transaction.
    ///
    /// Blank lines are skipped. The first bad line aborts the batch and its error names the
    /// line number; nothing is written. Input is read in chunks and decoded on a second thread
    /// (``BatchDecoder``) while this one writes, so memory does not grow with the batch.
    ///
    /// - Throws: ``LedgerError``; `.invalidEvent` for a bad or empty batch.
    @discardableResult
    public func appendNDJSON(from reader: LineReader, onEach: (AppendResult) -> Void = { _ in }) throws -> BatchResult {
        let decoder = BatchDecoder(reader: reader)
        decoder.start()
        defer { decoder.stop() }
        return try append(batch: decoder.next, onEach: onEach)
    }
}
