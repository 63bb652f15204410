#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a producer on its own thread and hands every item it makes to each of several readers,
/// in order, through one small bounded queue: what ``Handoff`` does for one reader.
///
/// A rebuild folds its read models in two lanes, and both need nearly every event of the
/// ledger: read and decoded once here, each event goes to both lanes instead of being read and
/// decoded twice. Items are shared, not copied (make them immutable, or classes nobody changes
/// after the producer made them). The queue holds at most ``maximumQueuedChunks`` chunks past
/// the slowest reader; an error the producer throws reaches each reader after every item
/// produced before it. A reader that gives up (``Reader/stop()``) no longer holds the others
/// back; when all have, the producer is stopped.
///
/// ```swift
/// let events = Broadcast<Event>(readers: 2) { emit in while let event = try read() { guard emit(event) else { return } } }
/// events.start()
/// defer { events.stop() }
/// // on each of two threads:
/// let reader = events.readers[lane]
/// defer { reader.stop() }
/// while let event = try reader.next() { ... }
/// ```
public final class Broadcast<Item: Sendable>: @unchecked Sendable {
    /// One reader's place in the queue. Each is used from one thread.
    public final class Reader: @unchecked Sendable {
        private unowned let broadcast: Broadcast<Item>
        fileprivate let index: Int
        private var current: [Item] = []
        private var cursor = 0

        fileprivate init(_ broadcast: Broadcast<Item>, index: Int) {
            self.broadcast = broadcast
            self.index = index
        }

        /// The next item, or nil after the last.
        ///
        /// - Throws: what the producer threw, once every item before it was returned.
        public func next() throws -> Item? {
            while cursor == current.count {
                switch try broadcast.chunk(for: index) {
                case .some(let chunk):
                    current = chunk
                    cursor = 0
                case .none:
                    current = []
                    cursor = 0
                    return nil
                }
            }
            defer { cursor += 1 }
            return current[cursor]
        }

        /// Gives up reading: the producer no longer waits for this reader.
        public func stop() {
            broadcast.leave(index)
        }
    }

    private let produce: (_ emit: (Item) -> Bool) throws -> Void
    /// Readers wait on ``queued`` for a chunk, the producer on ``drained`` for room.
    private let condition = ThreadCondition(conditions: 2)
    private static var queued: Int { 0 }
    private static var drained: Int { 1 }
    /// Who sleeps now: a chunk, or room, wakes only those who wait for it.
    private var waitingReaders = 0
    private var producerWaits = false
    /// Chunks not yet read by every reader; `chunks[0]` is chunk number `firstChunk`.
    private var chunks: [[Item]] = []
    private var firstChunk = 0
    /// For each reader, the number of the next chunk it reads (`Int.max` once it left).
    private var nextChunk: [Int]
    private var finished = false
    private var failure: (any Error)?
    private var thread: pthread_t?
    private var joined = false
    /// Set by ``stop()``: a reader still reading then fails instead of seeing a short end.
    private var cancelled = false

    /// Items are handed over in chunks of this many.
    public let chunkSize: Int
    public let maximumQueuedChunks: Int
    /// One per reader, in the order of their indices.
    public private(set) var readers: [Reader] = []

    /// Prepares a broadcast to `readers` readers; `produce` calls `emit` for each item and stops
    /// when it returns false (every reader left).
    public init(readers count: Int, chunkSize: Int = 32, maximumQueuedChunks: Int = 16,
                produce: @escaping (_ emit: (Item) -> Bool) throws -> Void) {
        precondition(count >= 1 && chunkSize >= 1 && maximumQueuedChunks >= 1)
        self.produce = produce
        self.chunkSize = chunkSize
        self.maximumQueuedChunks = maximumQueuedChunks
        nextChunk = Array(repeating: 0, count: count)
        readers = (0..<count).map { Reader(self, index: $0) }
    }

    deinit {
        stop()
    }

    /// Starts the producer on a new thread.
    ///
    /// - Throws: ``SystemIOError`` (`.noThread`) when no thread can be started.
    public func start() throws {
        switch ThreadEntry.start({ self.runProducer() }) {
        case .success(let handle): thread = handle
        case .failure(let error):
            throw SystemIOError(.noThread, "cannot start a thread to read the events: \(String(cString: strerror(error.code)))", code: error.code)
        }
    }

    /// Makes every reader leave and waits for the producer's thread: call it when done (on any
    /// thread but the producer's), so the thread is joined whoever releases the broadcast last.
    public func stop() {
        condition.lock()
        cancelled = true
        condition.broadcast(Self.queued)
        condition.unlock()
        for reader in readers { leave(reader.index) }
        join()
    }

    /// The chunk `reader` reads next, nil at the end (the producer's thread then joined).
    private func chunk(for reader: Int) throws -> [Item]? {
        condition.lock()
        var number = nextChunk[reader]
        while number != Int.max && number - firstChunk >= chunks.count && !finished && !cancelled {
            waitingReaders += 1
            condition.wait(Self.queued)
            waitingReaders -= 1
            number = nextChunk[reader]
        }
        if cancelled {
            nextChunk[reader] = Int.max
            condition.unlock()
            throw SystemIOError(.unreadable, "the read stopped before the end: the broadcast was stopped", code: 0)
        }
        guard number != Int.max, number - firstChunk < chunks.count else {
            let error = finished && number != Int.max ? failure : nil
            nextChunk[reader] = Int.max
            dropReadChunks()
            condition.unlock()
            join()
            if let error { throw error }
            return nil
        }
        let chunk = chunks[number - firstChunk]
        nextChunk[reader] = number + 1
        dropReadChunks()
        condition.unlock()
        return chunk
    }

    /// Removes the chunks every reader has passed, and wakes the producer once the queue is
    /// half empty (or every reader left). Called with the mutex held.
    ///
    /// Waking the producer for every chunk read would switch threads for every 32 events:
    /// woken at half, it makes several chunks in a row.
    private func dropReadChunks() {
        let slowest = nextChunk.min() ?? Int.max
        let read = min(slowest, firstChunk + chunks.count) - firstChunk
        if read > 0 {
            chunks.removeFirst(read)
            firstChunk += read
        }
        if producerWaits && (chunks.count <= maximumQueuedChunks / 2 || slowest == Int.max) { condition.broadcast(Self.drained) }
    }

    private func leave(_ reader: Int) {
        condition.lock()
        nextChunk[reader] = Int.max
        dropReadChunks()
        condition.unlock()
    }

    /// Waits for the producer's thread once it is done or every reader left (never from the
    /// producer's own thread: the readers and `deinit` call it).
    private func join() {
        condition.lock()
        let everyoneLeft = nextChunk.allSatisfy { $0 == Int.max }
        let thread = (finished || everyoneLeft) && !joined ? self.thread : nil
        if thread != nil { joined = true }
        condition.unlock()
        if let thread { pthread_join(thread, nil) }
    }

    private func runProducer() {
        var chunk: [Item] = []
        chunk.reserveCapacity(chunkSize)
        var stopped = false
        do {
            try produce { item in
                chunk.append(item)
                if chunk.count >= chunkSize {
                    if !hand(over: chunk) { stopped = true; return false }
                    chunk.removeAll(keepingCapacity: true)
                }
                return true
            }
        } catch {
            condition.lock()
            failure = error
            condition.unlock()
        }
        if !stopped && !chunk.isEmpty { _ = hand(over: chunk) }
        condition.lock()
        finished = true
        condition.broadcast(Self.queued)
        condition.unlock()
    }

    /// Queues a chunk, waiting while the slowest reader is too far behind. False when every
    /// reader left.
    private func hand(over chunk: [Item]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while chunks.count >= maximumQueuedChunks && !nextChunk.allSatisfy({ $0 == Int.max }) {
            producerWaits = true
            condition.wait(Self.drained)
            producerWaits = false
        }
        if nextChunk.allSatisfy({ $0 == Int.max }) { return false }
        chunks.append(chunk)
        if waitingReaders > 0 { condition.broadcast(Self.queued) }
        return true
    }
}
