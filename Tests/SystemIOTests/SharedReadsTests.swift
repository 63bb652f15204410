import Foundation
import XCTest
@testable import SystemIO

/// One source, several readers on their own threads and no thread of its own: each reader gets
/// every item in order, each chunk is read once by one reader at a time, the source's error
/// arrives after its items, and a reader that leaves early holds nobody back.
final class SharedReadsTests: XCTestCase {
    private struct Failure: Error, Equatable {}

    /// Chunks of `size` numbers from 0 up to `count`, then the end (or `failure`); counts the
    /// reads and fails the test if two readers read at once.
    private final class Source: @unchecked Sendable {
        let count: Int, size: Int
        let failure: Failure?
        private let lock = NSLock()
        private var next = 0
        private var inside = false
        var reads = 0
        var overlapped = false

        init(count: Int, size: Int, failure: Failure? = nil) {
            self.count = count
            self.size = size
            self.failure = failure
        }

        func read() throws -> [Int]? {
            lock.lock()
            if inside { overlapped = true }
            inside = true
            reads += 1
            lock.unlock()
            // Long enough for another reader to arrive while this one reads.
            if reads % 50 == 0 { usleep(200) }
            defer { lock.lock(); inside = false; lock.unlock() }
            guard next < count else {
                if let failure { throw failure }
                return nil
            }
            let chunk = Array(next..<min(next + size, count))
            next += chunk.count
            return chunk
        }
    }

    /// Reads everything `reader` gives on a new thread; the items and the error once it is done.
    private func readAll(_ reader: SharedReads<Int>.Reader, stopAfter limit: Int = .max) -> () -> ([Int], (any Error)?) {
        let box = ResultBox()
        let thread = Thread {
            do {
                while box.items.count < limit, let item = try reader.next() { box.items.append(item) }
            } catch {
                box.error = error
            }
            reader.stop()
            box.done.signal()
        }
        thread.start()
        return {
            box.done.wait()
            return (box.items, box.error)
        }
    }

    private final class ResultBox: @unchecked Sendable {
        var items: [Int] = []
        var error: (any Error)?
        let done = DispatchSemaphore(value: 0)
    }

    func testEveryReaderGetsEveryItemInOrderAndEachChunkIsReadOnce() throws {
        // Small chunks and a short queue: the reader ahead waits for the slowest many times.
        let source = Source(count: 10_000, size: 7)
        let shared = SharedReads<Int>(readers: 3, maximumQueuedChunks: 2) { try source.read() }
        defer { shared.stop() }
        let results = shared.readers.map { readAll($0) }
        for result in results {
            let (items, error) = result()
            XCTAssertNil(error)
            XCTAssertEqual(items, Array(0..<10_000))
        }
        XCTAssertEqual(source.reads, 10_000 / 7 + 2, "each chunk read once, and the end once")
        XCTAssertFalse(source.overlapped, "two readers read at once")
    }

    func testTheSourcesErrorReachesEachReaderAfterItsItems() throws {
        let source = Source(count: 10, size: 4, failure: Failure())
        let shared = SharedReads<Int>(readers: 2, maximumQueuedChunks: 1) { try source.read() }
        defer { shared.stop() }
        for result in shared.readers.map({ readAll($0) }) {
            let (items, error) = result()
            XCTAssertEqual(items, Array(0..<10))
            XCTAssertEqual(error as? Failure, Failure())
        }
    }

    func testAReaderThatLeavesHoldsNobodyBack() throws {
        let source = Source(count: 5_000, size: 3)
        let shared = SharedReads<Int>(readers: 2, maximumQueuedChunks: 1) { try source.read() }
        defer { shared.stop() }
        let early = readAll(shared.readers[0], stopAfter: 10)
        let full = readAll(shared.readers[1])
        XCTAssertEqual(early().0, Array(0..<10))
        let (items, error) = full()
        XCTAssertNil(error)
        XCTAssertEqual(items, Array(0..<5_000))
    }

    func testAReaderWaitingWhenTheReadsStopFails() throws {
        // The slower reader never reads: the other fills the queue and waits for room.
        let source = Source(count: 1_000, size: 1)
        let shared = SharedReads<Int>(readers: 2, maximumQueuedChunks: 2) { try source.read() }
        let waiting = readAll(shared.readers[0])
        while true {
            usleep(1_000)
            let reads = source.reads
            usleep(5_000)
            if reads == source.reads && reads > 0 { break }
        }
        shared.stop()
        let (items, error) = waiting()
        XCTAssertEqual(items, [0, 1])
        XCTAssertEqual((error as? SystemIOError)?.kind, .unreadable, "\(String(describing: error))")
    }
}
