import Events

extension Ledger {
    /// Appends every line of an NDJSON batch (see ``BatchLine``) in one transaction.
    ///
    /// Blank lines are skipped. The first bad line aborts the batch and its error names the
    /// line number; nothing is written. Input is read in chunks, so memory does not grow with
    /// the batch.
    ///
    /// - Throws: ``LedgerError``; `.invalidEvent` for a bad or empty batch.
    @discardableResult
    public func appendNDJSON(from reader: LineReader, onEach: (AppendResult) -> Void = { _ in }) throws -> BatchResult {
        try append(batch: {
            while let line = try reader.nextLine() {
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                let context = "line \(reader.lineNumber)"
                do {
                    return (try BatchLine.decode(line), context)
                } catch let error as EventError {
                    throw LedgerError(error, at: context)
                }
            }
            return nil
        }, onEach: onEach)
    }
}
