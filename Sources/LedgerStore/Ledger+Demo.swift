import Events

extension Ledger {
    /// Appends the shipped demo events (``DemoEvents``) as one batch.
    ///
    /// Their ids are fixed, so appending them again to the same ledger writes nothing.
    ///
    /// - Throws: ``LedgerError``.
    @discardableResult
    public func appendDemoEvents() throws -> BatchResult {
        var lines = DemoEvents.ndjson.split(separator: "\n").enumerated().makeIterator()
        return try append(batch: {
            while let (index, line) = lines.next() {
                let context = "demo line \(index + 1)"
                if let event = try BatchLine.decodeUnlessBlank(Array(line.utf8), at: context) { return (event, context) }
            }
            return nil
        })
    }
}
