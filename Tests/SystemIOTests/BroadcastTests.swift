import Foundation
import XCTest
@testable import SystemIO

/// One producer, several readers on their own threads: each reader gets every item in order,
/// the producer's error after them, and a reader that leaves early holds nobody back.
final class BroadcastTests: XCTestCase {
    private struct Failure: Error, Equatable {}

    /// Reads everything `reader` gives on a new thread; the result once the thread is done.
    private func readAll(_ reader: Broadcast<Int>.Reader, stopAfter limit: Int = .max) -> () -> Result<[Int], any Error> {
        let box = ResultBox()
        let thread = Thread {
            var items: [Int] = []
            box.result = Result {
                defer { reader.stop() }
                while items.count < limit, let item = try reader.next() { items.append(item) }
                return items
            }
            box.done.signal()
        }
        thread.start()
        return {
            box.done.wait()
            return box.result!
        }
    }

    /// Like ``readAll(_:stopAfter:)``, giving the items read before an error too.
    private func readAll(_ reader: Broadcast<Int>.Reader, keepingItemsOnError: Bool) -> () -> ([Int], (any Error)?) {
        let box = ResultBox()
        let thread = Thread {
            var items: [Int] = []
            do {
                while let item = try reader.next() { items.append(item) }
            } catch {
                box.error = error
            }
            reader.stop()
            box.result = .success(items)
            box.done.signal()
        }
        thread.start()
        return {
            box.done.wait()
            return ((try? box.result!.get()) ?? [], box.error)
        }
    }

    private final class ResultBox: @unchecked Sendable {
        var error: (any Error)?
        var result: Result<[Int], any Error>?
        let done = DispatchSemaphore(value: 0)
    }

    func testEveryReaderGetsEveryItemInOrder() throws {
        // Small chunks and a short queue: the producer waits for the slower reader many times.
        let broadcast = Broadcast<Int>(readers: 3, chunkSize: 7, maximumQueuedChunks: 2) { emit in
            for item in 0..<10_000 { guard emit(item) else { return } }
        }
        try broadcast.start()
        defer { broadcast.stop() }
        let results = broadcast.readers.map { readAll($0) }
        for result in results {
            XCTAssertEqual(try result().get(), Array(0..<10_000))
        }
    }

    func testTheProducersErrorReachesEachReaderAfterItsItems() throws {
        let broadcast = Broadcast<Int>(readers: 2, chunkSize: 4, maximumQueuedChunks: 1) { emit in
            for item in 0..<10 { guard emit(item) else { return } }
            throw Failure()
        }
        try broadcast.start()
        defer { broadcast.stop() }
        // Each reader on its own thread: the queue holds one chunk past the slower one.
        let seen = broadcast.readers.map { reader in readAll(reader, keepingItemsOnError: true) }
        for result in seen {
            let (items, error) = result()
            XCTAssertEqual(items, Array(0..<10))
            XCTAssertEqual(error as? Failure, Failure())
        }
    }

    func testAReaderThatLeavesHoldsNobodyBack() throws {
        let broadcast = Broadcast<Int>(readers: 2, chunkSize: 3, maximumQueuedChunks: 1) { emit in
            for item in 0..<5_000 { guard emit(item) else { return } }
        }
        try broadcast.start()
        defer { broadcast.stop() }
        let early = readAll(broadcast.readers[0], stopAfter: 10)
        let full = readAll(broadcast.readers[1])
        XCTAssertEqual(try early().get(), Array(0..<10))
        XCTAssertEqual(try full().get(), Array(0..<5_000))
    }

    func testWhenEveryReaderLeavesTheProducerStops() throws {
        let emitted = Counter()
        let broadcast = Broadcast<Int>(readers: 2, chunkSize: 1, maximumQueuedChunks: 1) { emit in
            // An endless producer: only the readers leaving ends it.
            var item = 0
            while emit(item) {
                emitted.value += 1
                item += 1
            }
        }
        try broadcast.start()
        XCTAssertEqual(try broadcast.readers[0].next(), 0)
        broadcast.readers[0].stop()
        broadcast.readers[1].stop()
        broadcast.stop()
        XCTAssertLessThan(emitted.value, 10, "the producer stopped at the queue's bound")
    }

    func testAReaderStillReadingWhenTheBroadcastStopsFails() throws {
        let release = DispatchSemaphore(value: 0)
        let broadcast = Broadcast<Int>(readers: 2, chunkSize: 1, maximumQueuedChunks: 1) { emit in
            _ = emit(1)
            release.wait()
        }
        try broadcast.start()
        let reader = broadcast.readers[1]
        XCTAssertEqual(try reader.next(), 1)
        let waiting = readAll(reader)
        let stopper = Thread { broadcast.stop() }
        stopper.start()
        XCTAssertThrowsError(try waiting().get()) { error in
            XCTAssertEqual((error as? SystemIOError)?.kind, .unreadable, "\(error)")
        }
        release.signal()
    }

    private final class Counter: @unchecked Sendable {
        var value = 0
    }
}
