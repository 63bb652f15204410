import XCTest
@testable import SystemIO

/// A producer on a second thread and its caller: every item in order through a short queue
/// (the producer waits for room, the caller for items, many times), the producer's error after
/// its items, and a caller that stops early stops the producer.
final class HandoffTests: XCTestCase {
    private struct Failure: Error, Equatable {}

    func testEveryItemArrivesInOrderThroughAShortQueue() throws {
        // Weights of 1 to 5 against room for 6: the producer often waits with a chunk in hand.
        let handoff = Handoff<Int>(chunkSize: 3, chunkWeight: 4, maximumQueuedWeight: 6, weight: { $0 % 5 + 1 }) { emit in
            for item in 0..<20_000 { guard emit(item) else { return } }
        }
        handoff.start()
        defer { handoff.stop() }
        var items: [Int] = []
        while let item = try handoff.next() {
            items.append(item)
            // Now and then slower than the producer, so that it fills the queue and sleeps.
            if item % 1_000 == 0 { usleep(1_000) }
        }
        XCTAssertEqual(items, Array(0..<20_000))
    }

    func testTheProducersErrorArrivesAfterItsItems() throws {
        let handoff = Handoff<Int>(chunkSize: 2, chunkWeight: 2, maximumQueuedWeight: 2) { emit in
            for item in 0..<101 { guard emit(item) else { return } }
            throw Failure()
        }
        handoff.start()
        defer { handoff.stop() }
        var items: [Int] = []
        do {
            while let item = try handoff.next() { items.append(item) }
            XCTFail("the producer's error did not arrive")
        } catch let error as Failure {
            XCTAssertEqual(error, Failure())
        }
        XCTAssertEqual(items, Array(0..<101))
    }

    func testStoppingEarlyStopsAProducerWaitingForRoom() throws {
        let produced = Counter()
        let handoff = Handoff<Int>(chunkSize: 1, chunkWeight: 1, maximumQueuedWeight: 2) { emit in
            for item in 0..<1_000_000 {
                produced.value = item
                guard emit(item) else { return }
            }
        }
        handoff.start()
        XCTAssertEqual(try handoff.next(), 0)
        // Returns only once the producer's thread has ended, which it must without reaching the end.
        handoff.stop()
        XCTAssertLessThan(produced.value, 1_000)
    }

    private final class Counter: @unchecked Sendable {
        var value = 0
    }
}
