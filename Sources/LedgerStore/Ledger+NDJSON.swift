import Events
import SystemIO

extension Ledger {
    /// Appends every line of an NDJSON batch (see ``BatchLine``) in one transaction.
    ///
    /// Blank lines are skipped. The first bad line aborts the batch and its error names the
    /// line number; nothing is written. See ``LineReader/decodingBatch(_:)``.
    ///
    /// - Throws: ``LedgerError``; `.invalidEvent` for a bad or empty batch.
    @discardableResult
    public func appendNDJSON(from reader: LineReader, onEach: (AppendResult) -> Void = { _ in }) throws -> BatchResult {
        try reader.decodingBatch { next in try append(batch: next, onEach: onEach) }
    }
}

extension LineReader {
    /// Opens an NDJSON batch, its lines at most ``BatchLine/maximumLineSize`` bytes.
    ///
    /// - Throws: ``LedgerError`` (`.invalidEvent`) when the file cannot be opened.
    public convenience init(batchAt path: String) throws {
        do {
            try self.init(path: path, maximumLineLength: BatchLine.maximumLineSize)
        } catch let error as SystemIOError {
            throw LedgerError(error)
        }
    }

    /// The next line of a batch, in the ledger's words: a line over the limit is an event too
    /// large, naming the input and the line.
    ///
    /// - Throws: ``LedgerError`` (`.invalidEvent`).
    func nextBatchLine() throws -> ArraySlice<UInt8>? {
        do {
            return try nextLine()
        } catch let error as SystemIOError where error.kind == .tooLarge {
            throw LedgerError(EventError(.tooLarge, error.message + ", the limit for one event"))
        } catch let error as SystemIOError {
            throw LedgerError(error)
        }
    }

    /// Runs `body` with the batch's events, decoded from its lines on a second thread while
    /// `body` appends them: `next` gives each event with its context (`line 12`), nil at the end.
    ///
    /// Lines are read in chunks, with at most a few MiB of decoded payload waiting, so memory
    /// does not grow with the batch.
    ///
    /// - Throws: what `next` or `body` throws (``LedgerError`` naming the line for a bad one).
    public func decodingBatch<T>(_ body: (_ next: () throws -> (ProposedEvent, context: String?)?) throws -> T) throws -> T {
        let decoded = Handoff<NumberedEvent>(chunkWeight: 256 << 10, maximumQueuedWeight: 2 << 20, weight: { $0.event.data.count }) { emit in
            while let line = try self.nextBatchLine() {
                let number = self.lineNumber
                if let event = try BatchLine.decodeUnlessBlank(line, at: "line \(number)") {
                    guard emit(NumberedEvent(event: event, line: number)) else { return }
                }
            }
        }
        decoded.start()
        defer { decoded.stop() }
        return try body { try decoded.next().map { ($0.event, "line \($0.line)") } }
    }
}

/// A decoded batch line and its number.
struct NumberedEvent: Sendable {
    var event: ProposedEvent
    var line: Int
}
