/// Several readers, each on its own thread, share one source of items: every chunk is read
/// once, for all of them, by whichever reader needs it first. No thread of its own.
///
/// A rebuild folds its read models in two lanes on two threads, and both need nearly every
/// event of the ledger. A third thread that read the events for both made three threads take
/// turns on a machine's two cores: at 1,000,000 events each lane waited 1.1–1.4 s for the
/// reader while the reader waited 2.4 s for room. Here a reader with two chunks or fewer left
/// ahead of it reads the next one itself, so the reading is shared out by whichever lane is
/// ahead, and the other rarely finds nothing to take.
///
/// Items are shared, not copied (make them immutable, or classes nobody changes once read).
/// At most ``maximumQueuedChunks`` chunks wait for the slowest reader; a reader that far ahead
/// waits for it. An error `read` throws reaches each reader after every item read before it.
/// A reader that gives up (``Reader/stop()``) no longer holds the others back.
///
/// ```swift
/// let events = SharedReads<Event>(readers: 2) { try cursor.next(32) }   // nil at the end
/// // on each of two threads:
/// let reader = events.readers[lane]
/// defer { reader.stop() }
/// while let event = try reader.next() { ... }
/// ```
public final class SharedReads<Item: Sendable>: @unchecked Sendable {
    /// One reader's place in the queue. Each is used from one thread.
    public final class Reader: @unchecked Sendable {
        private unowned let shared: SharedReads<Item>
        fileprivate let index: Int
        private var current: [Item] = []
        private var cursor = 0

        fileprivate init(_ shared: SharedReads<Item>, index: Int) {
            self.shared = shared
            self.index = index
        }

        /// The next item, or nil after the last.
        ///
        /// - Throws: what `read` threw, once every item before it was returned; ``SystemIOError``
        ///   (`.unreadable`) when the reads were stopped (``SharedReads/stop()``) before the end.
        public func next() throws -> Item? {
            while cursor == current.count {
                guard let chunk = try shared.chunk(for: index) else {
                    current = []
                    cursor = 0
                    return nil
                }
                current = chunk
                cursor = 0
            }
            defer { cursor += 1 }
            return current[cursor]
        }

        /// Gives up reading: the others no longer wait for this reader.
        public func stop() {
            shared.leave(index)
        }
    }

    private let read: () throws -> [Item]?
    private let condition = ThreadCondition()
    /// Chunks not yet taken by every reader; `chunks[0]` is chunk number `firstChunk`.
    private var chunks: [[Item]] = []
    private var firstChunk = 0
    /// For each reader, the number of the next chunk it takes (`Int.max` once it left).
    private var nextChunk: [Int]
    /// A reader is reading the next chunk: the others wait for it rather than read it too.
    private var reading = false
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    private var waiting = 0

    public let maximumQueuedChunks: Int
    /// One per reader, in the order of their indices.
    public private(set) var readers: [Reader] = []

    /// Shares what `read` gives among `readers` readers: it returns the next chunk of items, or
    /// nil at the end, and is called by one reader at a time.
    public init(readers count: Int, maximumQueuedChunks: Int = 16, read: @escaping () throws -> [Item]?) {
        precondition(count >= 1 && maximumQueuedChunks >= 1)
        self.read = read
        self.maximumQueuedChunks = maximumQueuedChunks
        nextChunk = Array(repeating: 0, count: count)
        readers = (0..<count).map { Reader(self, index: $0) }
    }

    /// Makes every reader leave; one still reading fails instead of seeing a short end.
    public func stop() {
        condition.lock()
        cancelled = true
        for index in nextChunk.indices { nextChunk[index] = Int.max }
        chunks = []
        wakeWaiting()
        condition.unlock()
    }

    /// The chunk `reader` takes next, read now if no reader has read it yet; nil at the end.
    private func chunk(for reader: Int) throws -> [Item]? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if cancelled {
                throw SystemIOError(.unreadable, "the read stopped before the end: the shared reads were stopped", code: 0)
            }
            let number = nextChunk[reader]
            if number == Int.max { return nil }
            if number - firstChunk < chunks.count {
                let chunk = chunks[number - firstChunk]
                nextChunk[reader] = number + 1
                dropTakenChunks()
                // Few chunks left ahead of this reader: it reads the next one now, while the
                // others still have some, rather than when every reader has run out at once.
                if number + 1 + Self.readAhead > firstChunk + chunks.count { readNext() }
                return chunk
            }
            if finished {
                nextChunk[reader] = Int.max
                dropTakenChunks()
                if let failure { throw failure }
                return nil
            }
            // Ahead of every chunk read: read the next one, unless another reader is reading it
            // or the slowest has yet to take as many as the queue holds.
            if reading || chunks.count >= maximumQueuedChunks {
                waiting += 1
                condition.wait()
                waiting -= 1
                continue
            }
            readNext()
        }
    }

    /// How few chunks ahead of a reader make it read the next one.
    private static var readAhead: Int { 2 }

    /// Reads the next chunk, unless another reader is reading, the end was met or the queue is
    /// full. Called with the mutex held, which it lets go of while `read` runs.
    private func readNext() {
        guard !reading && !finished && !cancelled && chunks.count < maximumQueuedChunks else { return }
        reading = true
        condition.unlock()
        let result = Result { try read() }
        condition.lock()
        reading = false
        switch result {
        case .success(let items?): if !items.isEmpty { chunks.append(items) }
        case .success(nil): finished = true
        case .failure(let error):
            failure = error
            finished = true
        }
        wakeWaiting()
    }

    /// Removes the chunks every reader has taken, waking a reader that waits for room.
    /// Called with the mutex held.
    private func dropTakenChunks() {
        let slowest = nextChunk.min() ?? Int.max
        let taken = min(slowest, firstChunk + chunks.count) - firstChunk
        guard taken > 0 else { return }
        chunks.removeFirst(taken)
        firstChunk += taken
        wakeWaiting()
    }

    private func leave(_ reader: Int) {
        condition.lock()
        nextChunk[reader] = Int.max
        dropTakenChunks()
        condition.unlock()
    }

    private func wakeWaiting() {
        if waiting > 0 { condition.broadcast() }
    }
}
