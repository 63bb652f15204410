#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs a producer on a second thread and hands its items to the caller in order, through a
/// small bounded queue.
///
/// Reading and parsing input costs about as much as writing it to the ledger, so on a machine
/// with two cores a batch or a report goes about half again as fast when the two overlap. The
/// queue holds at most ``maximumQueuedWeight`` (items weigh 1, or what `weight` says, such as
/// their payload bytes), so memory stays bounded whatever the input. An error the producer
/// throws reaches the caller after every item produced before it.
///
/// ```swift
/// let handoff = Handoff<Line> { emit in while let line = try reader.next() { guard emit(line) else { return } } }
/// handoff.start()
/// defer { handoff.stop() }
/// while let line = try handoff.next() { ... }
/// ```
public final class Handoff<Item: Sendable>: @unchecked Sendable {
    private let produce: (_ emit: (Item) -> Bool) throws -> Void
    private let weight: (Item) -> Int
    /// The caller waits on ``queued`` for a chunk, the producer on ``drained`` for room.
    private let condition = ThreadCondition(conditions: 2)
    private static var queued: Int { 0 }
    private static var drained: Int { 1 }
    /// Who sleeps now: a chunk, or room, wakes only the side that waits for it.
    private var consumerWaits = false
    private var producerWaits = false
    private var chunks: [(items: [Item], weight: Int)] = []
    private var queuedWeight = 0
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    private var thread: pthread_t?
    private var runsInline = false
    private let inlineFallback: Bool

    private var current: [Item] = []
    private var cursor = 0

    /// Items are handed over in chunks of this many, or of ``chunkWeight``.
    public let chunkSize: Int
    public let chunkWeight: Int
    public let maximumQueuedWeight: Int

    /// Prepares a handoff; `produce` calls `emit` for each item and stops when it returns false.
    /// Without `inlineFallback`, a machine that cannot start the second thread makes ``next()``
    /// throw instead of producing everything at once (for input that must never be held whole).
    public init(chunkSize: Int = 512, chunkWeight: Int = 512, maximumQueuedWeight: Int = 4096,
                weight: @escaping (Item) -> Int = { _ in 1 }, inlineFallback: Bool = true,
                produce: @escaping (_ emit: (Item) -> Bool) throws -> Void) {
        self.inlineFallback = inlineFallback
        self.produce = produce
        self.weight = weight
        self.chunkSize = chunkSize
        self.chunkWeight = chunkWeight
        self.maximumQueuedWeight = maximumQueuedWeight
    }

    deinit {
        stop()
    }

    /// Starts the producer on a new thread (or, if none can be had, runs it lazily inline):
    /// true when it has a thread of its own.
    @discardableResult
    public func start() -> Bool {
        switch ThreadEntry.start({ self.runProducer() }) {
        case .success(let handle):
            thread = handle
            return true
        case .failure:
            runsInline = true
            return false
        }
    }

    /// The next item, or nil after the last.
    ///
    /// - Throws: what the producer threw, once every item before it was returned.
    public func next() throws -> Item? {
        if runsInline {
            runsInline = false
            guard inlineFallback else {
                throw SystemIOError(.noThread, "cannot start a second thread to read the input: \(errnoMessage())", code: errno)
            }
            // No second thread: produce everything now, bounded only by the input.
            chunks = []
            var items: [Item] = []
            do { try produce { items.append($0); return true } } catch { failure = error }
            chunks.append((items, 0))
            finished = true
        }
        while cursor == current.count {
            condition.lock()
            while chunks.isEmpty && !finished {
                consumerWaits = true
                condition.wait(Self.queued)
                consumerWaits = false
            }
            if chunks.isEmpty {
                let error = failure
                failure = nil
                condition.unlock()
                // The producer is done: wait for its thread here, on the caller's thread. Left to
                // `deinit`, the last release could come from the producer's own thread, which
                // cannot join itself, and the thread would never be joined.
                stop()
                if let error { throw error }
                return nil
            }
            let chunk = chunks.removeFirst()
            queuedWeight -= chunk.weight
            // Woken at half empty rather than for every chunk, the producer makes several in a
            // row instead of switching threads for each.
            if producerWaits && queuedWeight <= maximumQueuedWeight / 2 { condition.broadcast(Self.drained) }
            condition.unlock()
            current = chunk.items
            cursor = 0
        }
        defer { cursor += 1 }
        return current[cursor]
    }

    /// Stops the producer (if the caller gives up early) and waits for its thread.
    public func stop() {
        condition.lock()
        cancelled = true
        condition.broadcast(Self.drained)
        condition.unlock()
        if let thread {
            pthread_join(thread, nil)
            self.thread = nil
        }
    }

    private func runProducer() {
        var chunk: [Item] = []
        var chunkWeight = 0
        chunk.reserveCapacity(chunkSize)
        var stopped = false
        do {
            try produce { item in
                chunk.append(item)
                chunkWeight += weight(item)
                if chunk.count >= chunkSize || chunkWeight >= self.chunkWeight {
                    if !hand(over: chunk, weight: chunkWeight) { stopped = true; return false }
                    chunk.removeAll(keepingCapacity: true)
                    chunkWeight = 0
                }
                return true
            }
        } catch {
            condition.lock()
            failure = error
            condition.unlock()
        }
        if stopped { return }
        if !chunk.isEmpty && !hand(over: chunk, weight: chunkWeight) { return }
        condition.lock()
        finished = true
        condition.broadcast(Self.queued)
        condition.unlock()
    }

    /// Queues a chunk, waiting while the queue is full. False when the consumer stopped.
    private func hand(over chunk: [Item], weight: Int) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !chunks.isEmpty && queuedWeight + weight > maximumQueuedWeight && !cancelled {
            producerWaits = true
            condition.wait(Self.drained)
            producerWaits = false
        }
        if cancelled { return false }
        chunks.append((chunk, weight))
        queuedWeight += weight
        if consumerWaits { condition.broadcast(Self.queued) }
        return true
    }
}

/// What a new thread runs: a closure in a class, since a C thread entry takes one pointer (and
/// cannot mention a generic type).
final class ThreadEntry: @unchecked Sendable {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }

    /// Runs `body` on a new thread: its handle, to join, or the error number of `pthread_create`.
    static func start(_ body: @escaping () -> Void) -> Result<pthread_t, ThreadStartError> {
        let context = Unmanaged.passRetained(ThreadEntry(body)).toOpaque()
        #if canImport(Glibc)
        var handle = pthread_t()
        #else
        var handle: pthread_t?
        #endif
        let rc = pthread_create(&handle, nil, { context in
            Unmanaged<ThreadEntry>.fromOpaque(context!).takeRetainedValue().body()
            return nil
        }, context)
        guard rc == 0 else {
            Unmanaged<ThreadEntry>.fromOpaque(context).release()
            return .failure(ThreadStartError(code: rc))
        }
        #if canImport(Glibc)
        return .success(handle)
        #else
        return .success(handle!)
        #endif
    }
}

/// `pthread_create` failed with this error number.
struct ThreadStartError: Error {
    var code: Int32
}
