import Events

extension Ledger {
    /// Appends the shipped demo events (``DemoEvents``) as one batch.
    ///
    /// Their ids are fixed, so appending them again to the same ledger writes nothing.
    ///
    /// - Throws: ``LedgerError``.
    @discardableResult
    public func appendDemoEvents() throws -> BatchResult {
        var lines = DemoEvents.ndjson.split(separator: "\n").makeIterator()
        var number = 0
        return try append(batch: {
            guard let line = lines.next() else { return nil }
            number += 1
            do {
                return (try BatchLine.decode(Array(line.utf8)), "demo line \(number)")
            } catch let error as EventError {
                throw LedgerError(error, at: "demo line \(number)")
            }
        })
    }
}
