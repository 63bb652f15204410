#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Events

/// Reads and decodes NDJSON batch lines on a second thread while the caller writes them.
///
/// Parsing and canonicalizing a line costs about as much as inserting it, so on a machine with
/// two cores a batch goes about half again as fast when the two overlap. Decoded events travel
/// in chunks through a small bounded queue, so memory stays constant however long the batch;
/// order is kept, and the first bad line ends the stream with its error after every line
/// before it.
///
/// The decoder owns the reader from ``start()`` until ``stop()``: nobody else may touch it.
final class BatchDecoder: @unchecked Sendable {
    /// One decoded line, or the error that ends the batch.
    enum Item {
        case event(ProposedEvent, line: Int)
        case failure(LedgerError)
    }

    private let reader: LineReader
    /// Allocated once, so their addresses never move (Swift does not promise that for stored
    /// properties passed with `&`).
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let changed = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var chunks: [(items: [Item], bytes: Int)] = []
    private var queuedBytes = 0
    private var finished = false
    private var cancelled = false
    private var thread: pthread_t?
    /// Set when no thread could be started: `next()` then decodes on the caller's thread.
    private var decodesInline = false

    private var current: [Item] = []
    private var cursor = 0

    /// A chunk is handed over at this many events or bytes of payload, whichever comes first.
    private static let chunkSize = 512
    private static let chunkBytes = 256 << 10
    /// The most payload bytes waiting in the queue: memory stays bounded whatever the lines hold.
    private static let maximumQueuedBytes = 2 << 20

    init(reader: LineReader) {
        self.reader = reader
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(changed, nil)
    }

    deinit {
        stop()
        pthread_cond_destroy(changed)
        pthread_mutex_destroy(mutex)
        changed.deallocate()
        mutex.deallocate()
    }

    /// Starts decoding on a new thread; decodes inline if no thread can be had.
    func start() {
        let context = Unmanaged.passRetained(self).toOpaque()
        #if canImport(Glibc)
        var handle = pthread_t()
        #else
        var handle: pthread_t?
        #endif
        let rc = pthread_create(&handle, nil, { context in
            let decoder = Unmanaged<BatchDecoder>.fromOpaque(context!).takeRetainedValue()
            decoder.produce()
            return nil
        }, context)
        if rc == 0 {
            thread = handle
        } else {
            Unmanaged<BatchDecoder>.fromOpaque(context).release()
            decodesInline = true
        }
    }

    /// The next decoded event with its context (`line N`), or nil at the end.
    ///
    /// - Throws: the ``LedgerError`` of the first bad line, after every line before it.
    func next() throws -> (ProposedEvent, context: String?)? {
        if decodesInline {
            switch decodeNext() {
            case nil: return nil
            case .event(let event, let line): return (event, "line \(line)")
            case .failure(let error): throw error
            }
        }
        while cursor == current.count {
            pthread_mutex_lock(mutex)
            while chunks.isEmpty && !finished { pthread_cond_wait(changed, mutex) }
            if chunks.isEmpty {
                pthread_mutex_unlock(mutex)
                return nil
            }
            let chunk = chunks.removeFirst()
            current = chunk.items
            queuedBytes -= chunk.bytes
            pthread_cond_broadcast(changed)
            pthread_mutex_unlock(mutex)
            cursor = 0
        }
        defer { cursor += 1 }
        switch current[cursor] {
        case .event(let event, let line): return (event, "line \(line)")
        case .failure(let error): throw error
        }
    }

    /// Stops the decoding thread (if the caller gives up early) and waits for it.
    func stop() {
        pthread_mutex_lock(mutex)
        cancelled = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
        if let thread {
            pthread_join(thread, nil)
            self.thread = nil
        }
    }

    /// The decoding loop: decode, hand over in chunks, until the end or the first error.
    private func produce() {
        var chunk: [Item] = []
        var bytes = 0
        chunk.reserveCapacity(Self.chunkSize)
        while let item = decodeNext() {
            chunk.append(item)
            if case .event(let event, _) = item { bytes += event.data.count }
            if case .failure = item { break }
            if chunk.count == Self.chunkSize || bytes >= Self.chunkBytes {
                if !hand(over: chunk, bytes: bytes) { return }
                chunk.removeAll(keepingCapacity: true)
                bytes = 0
            }
        }
        if !chunk.isEmpty && !hand(over: chunk, bytes: bytes) { return }
        pthread_mutex_lock(mutex)
        finished = true
        pthread_cond_broadcast(changed)
        pthread_mutex_unlock(mutex)
    }

    /// Reads and decodes the next non-blank line: nil at the end of the input.
    private func decodeNext() -> Item? {
        do {
            while let line = try reader.nextLine() {
                if let event = try BatchLine.decodeUnlessBlank(line, at: "line \(reader.lineNumber)") {
                    return .event(event, line: reader.lineNumber)
                }
            }
            return nil
        } catch {
            return .failure(error as? LedgerError ?? LedgerError(.invalidEvent, "\(error)"))
        }
    }

    /// Queues a chunk, waiting while the queue is full. False when the consumer stopped.
    private func hand(over chunk: [Item], bytes: Int) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while !chunks.isEmpty && queuedBytes + bytes > Self.maximumQueuedBytes && !cancelled { pthread_cond_wait(changed, mutex) }
        if cancelled { return false }
        chunks.append((chunk, bytes))
        queuedBytes += bytes
        pthread_cond_broadcast(changed)
        return true
    }
}
