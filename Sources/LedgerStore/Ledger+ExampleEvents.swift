import Events

extension Ledger {
    /// Appends the shipped example events (``ExampleEvents``) as one batch.
    ///
    /// Their ids are fixed, so appending them again to the same ledger writes nothing.
    ///
    /// - Throws: ``LedgerError``.
    @discardableResult
    public func appendExampleEvents() throws -> BatchResult {
        var lines = ExampleEvents.ndjson.split(separator: "\n").enumerated().makeIterator()
        return try append(batch: {
            while let (index, line) = lines.next() {
                let context = "example line \(index + 1)"
                if let event = try BatchLine.decodeUnlessBlank(Array(line.utf8), at: context) { return (event, context) }
            }
            return nil
        })
    }
}
