import Foundation
import XCTest
import Events
import LedgerCore
import Projections

/// The contract every ``EventStore`` meets, as checks a store's own test class runs, each on a
/// fresh store from `make`: the SQLite store's tests run every one, and a new backend's tests
/// run the same ones.
///
/// ```swift
/// final class MyStoreContractTests: XCTestCase {
///     func testAppendAndRead() throws { try EventStoreContract(make: { try MyStore.fresh() }).appendAndRead() }
/// }
/// ```
public struct EventStoreContract<Store: EventStore> {
    let make: () throws -> Store

    public init(make: @escaping () throws -> Store) {
        self.make = make
    }

    private func event(_ stream: String, _ type: String = "Noted", json: String = "{}", id: EventID? = nil,
                       expect: ExpectedVersion = .any) throws -> ProposedEvent {
        try ProposedEvent(stream: StreamName(stream), type: EventType(type), json: Array(json.utf8), id: id, expectedVersion: expect)
    }

    /// Positions are dense from 1 in append order; stream versions count each stream's
    /// events; an event reads back by position and by id with the bytes appended; queries
    /// select by stream, type and position range, in global order.
    public func appendAndRead(file: StaticString = #filePath, line: UInt = #line) throws {
        let store = try make()
        XCTAssertEqual(try store.treeHead().size, 0, "a new store is empty", file: file, line: line)
        let first = try store.append(try event("order-1", "Placed", json: #"{"n":1}"#))
        let second = try store.append(try event("order-2", "Placed", json: #"{"n":2}"#))
        let third = try store.append(try event("order-1", "Shipped", json: #"{"n":3}"#))
        XCTAssertEqual([first.position, second.position, third.position], [1, 2, 3], file: file, line: line)
        XCTAssertEqual([first.streamVersion, second.streamVersion, third.streamVersion], [1, 1, 2], file: file, line: line)
        XCTAssertFalse(first.isDuplicate || second.isDuplicate || third.isDuplicate, file: file, line: line)

        let byPosition = try store.event(position: 3)
        XCTAssertEqual(byPosition.id, third.id.rawValue, file: file, line: line)
        XCTAssertEqual(byPosition.type, "Shipped", file: file, line: line)
        XCTAssertEqual(try store.event(id: first.id), try store.event(position: 1), file: file, line: line)
        let envelope = try EventEnvelope(decoding: byPosition.body)
        XCTAssertEqual(envelope.data, Array(#"{"n":3}"#.utf8), "the payload as appended", file: file, line: line)
        XCTAssertEqual(byPosition.leafHash, MerkleTree.leafHash(byPosition.body).bytes, "the leaf hash of the stored bytes", file: file, line: line)

        var query = EventQuery()
        query.streams = [try StreamName("order-1")]
        XCTAssertEqual(try store.events(query).map(\.position), [1, 3], file: file, line: line)
        query = EventQuery()
        query.types = ["Placed"]
        XCTAssertEqual(try store.events(query).map(\.position), [1, 2], file: file, line: line)
        query = EventQuery()
        query.fromPosition = 2
        query.toPosition = 3
        XCTAssertEqual(try store.events(query).map(\.position), [2, 3], file: file, line: line)
        XCTAssertThrowsError(try store.event(position: 4), file: file, line: line) { error in
            XCTAssertEqual((error as? LedgerError)?.code, .eventNotFound, "\(error)", file: file, line: line)
        }
    }

    /// The same id with the same content is a duplicate (written once); the same id with
    /// other content, or a stream at another version than expected, is refused, and the
    /// store is unchanged.
    public func idempotenceAndExpectedVersions(file: StaticString = #filePath, line: UInt = #line) throws {
        let store = try make()
        let id = try EventID("01936a52-0000-7000-8000-00000000c0de")
        let original = try store.append(try event("order-1", json: #"{"n":1}"#, id: id))
        let again = try store.append(try event("order-1", json: #"{"n":1}"#, id: id))
        XCTAssertTrue(again.isDuplicate, file: file, line: line)
        XCTAssertEqual(again.position, original.position, file: file, line: line)
        let head = try store.treeHead()
        XCTAssertEqual(head.size, 1, file: file, line: line)
        XCTAssertThrowsError(try store.append(try event("order-1", json: #"{"n":2}"#, id: id)), file: file, line: line) { error in
            XCTAssertEqual((error as? LedgerError)?.code, .idConflict, "\(error)", file: file, line: line)
        }
        XCTAssertThrowsError(try store.append(try event("order-1", expect: .noStream)), file: file, line: line) { error in
            XCTAssertEqual((error as? LedgerError)?.code, .wrongExpectedVersion, "\(error)", file: file, line: line)
        }
        XCTAssertEqual(try store.treeHead(), head, "nothing written", file: file, line: line)
        XCTAssertEqual(try store.append(try event("order-1", expect: .exactly(1))).streamVersion, 2, file: file, line: line)
        XCTAssertEqual(try store.append(try event("order-9", expect: .noStream)).streamVersion, 1, file: file, line: line)
    }

    /// A batch is one transaction: an event refused halfway leaves nothing of the batch, and
    /// the error names the event by its context.
    public func batchesAreAllOrNothing(file: StaticString = #filePath, line: UInt = #line) throws {
        let store = try make()
        try store.append(try event("order-1"))
        let head = try store.treeHead()
        let events = [try event("order-2"), try event("order-3"), try event("order-1", expect: .noStream), try event("order-4")]
        var index = 0
        XCTAssertThrowsError(try store.append(batch: {
            defer { index += 1 }
            return index < events.count ? (events[index], "line \(index + 1)") : nil
        }, onEach: { _ in }), file: file, line: line) { error in
            XCTAssertTrue("\(error)".hasPrefix("line 3: "), "\(error)", file: file, line: line)
        }
        XCTAssertEqual(try store.treeHead(), head, "nothing of the batch written", file: file, line: line)
        index = 0
        var seen: [Int] = []
        let done = try store.append(batch: {
            defer { index += 1 }
            return index < 2 ? (events[index], "line \(index + 1)") : nil
        }, onEach: { seen.append($0.position) })
        XCTAssertEqual([done.appended, done.firstPosition, done.lastPosition], [2, 2, 3], file: file, line: line)
        XCTAssertEqual(seen, [2, 3], file: file, line: line)
        XCTAssertEqual(done.treeHead, try store.treeHead(), file: file, line: line)
    }

    /// The tree head is the RFC 9162 root of the stored leaf hashes, at every size; inclusion
    /// and consistency proofs verify against those roots, across the 256-leaf boundary.
    public func treeAndProofs(file: StaticString = #filePath, line: UInt = #line) throws {
        let store = try make()
        var remaining = 300
        _ = try store.append(batch: {
            remaining -= 1
            return remaining >= 0 ? (try event("tick-\(remaining % 3)", json: #"{"n":\#(remaining)}"#), nil) : nil
        }, onEach: { _ in })
        let leaves = try store.events(EventQuery()).map { TreeHash(bytes: $0.leafHash)! }
        XCTAssertEqual(leaves.count, 300, file: file, line: line)
        XCTAssertEqual(try store.treeHead().root, MerkleTree.root(ofLeafHashes: leaves), file: file, line: line)
        for size in [1, 2, 255, 256, 257, 300] {
            let root = try store.treeHead(size: size).root
            XCTAssertEqual(root, MerkleTree.root(ofLeafHashes: leaves.prefix(size)), "size \(size)", file: file, line: line)
            for position in Set([1, size, (size + 1) / 2]) {
                let proof = try store.inclusionProof(position: position, size: size)
                XCTAssertEqual(proof.leafHash, leaves[position - 1], file: file, line: line)
                XCTAssertNoThrow(try proof.verify(root: root), "inclusion of \(position) in \(size)", file: file, line: line)
            }
            if size < 300 {
                let proof = try store.consistencyProof(from: size, to: nil)
                XCTAssertNoThrow(try proof.verify(fromRoot: root, toRoot: try store.treeHead().root), "consistency from \(size)", file: file, line: line)
            }
        }
        XCTAssertThrowsError(try store.treeHead(size: 301), file: file, line: line)
        XCTAssertTrue(try store.verify(progress: { _ in }).isValid, file: file, line: line)
        XCTAssertEqual(try store.verify(progress: { _ in }).verifiedSize, 300, file: file, line: line)
    }

    /// A write transaction commits what it appends when it returns, nothing when it throws,
    /// and reads its own appends.
    public func writeTransactions(file: StaticString = #filePath, line: UInt = #line) throws {
        let store = try make()
        XCTAssertThrowsError(try store.write { writer in
            _ = try writer.append(try event("order-1"))
            throw ContractAbandon()
        }, file: file, line: line)
        XCTAssertEqual(try store.treeHead().size, 0, "rolled back", file: file, line: line)
        let seen = try store.write { writer -> (Int, Int) in
            _ = try writer.append(try event("order-1"))
            _ = try writer.append(try event("order-1"))
            return (try writer.events(EventQuery()).count, try writer.version(of: try StreamName("order-1")))
        }
        XCTAssertEqual(seen.0, 2, "its own appends", file: file, line: line)
        XCTAssertEqual(seen.1, 2, file: file, line: line)
        XCTAssertEqual(try store.treeHead().size, 2, "committed", file: file, line: line)
        XCTAssertFalse(try store.origin().isEmpty, file: file, line: line)
        XCTAssertEqual(try store.origin(), try store.origin(), "permanent", file: file, line: line)
    }

    /// Projections' tables follow the events: caught up, they hold the fold of every event;
    /// caught up again, they fold only what is new; rows are selected by column.
    public func projectionsCatchUp(file: StaticString = #filePath, line: UInt = #line) throws {
        let store = try make()
        try store.append(try event("order-1"))
        try store.append(try event("order-2"))
        try store.append(try event("order-1"))
        let first = try store.catchUp([StreamCounts.self])[0]
        XCTAssertEqual([first.folded, first.position], [3, 3], file: file, line: line)
        XCTAssertEqual(try store.rows(of: StreamCounts.table, matching: []), [[.text("order-1"), .integer(2)], [.text("order-2"), .integer(1)]],
                       file: file, line: line)
        try store.append(try event("order-2"))
        let second = try store.catchUp([StreamCounts.self])[0]
        XCTAssertEqual([second.folded, second.position], [1, 4], "only the new event", file: file, line: line)
        XCTAssertFalse(second.rebuilt, file: file, line: line)
        XCTAssertEqual(try store.rows(of: StreamCounts.table, matching: [("stream", .text("order-2"))]), [[.text("order-2"), .integer(2)]],
                       file: file, line: line)
        let nothing = try store.catchUp([StreamCounts.self])[0]
        XCTAssertEqual(nothing.folded, 0, file: file, line: line)
    }
}

/// Thrown to abandon a write transaction.
struct ContractAbandon: Error {}

/// A projection for the contract: events per stream.
enum StreamCounts: Projection {
    static let name = "contract_stream_counts"
    static let version = 1
    static let eventTypes = ["Noted"]
    static let table = ReadModelTable(
        name: "contract_stream_counts",
        columns: [.init("stream", "TEXT", "the stream"), .init("events", "INTEGER", "its events")],
        keyColumns: 1, documentation: "Events per stream.")
    static let tables = [table]

    static func apply(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        let count = try rows.row(table.name, key: [.text(event.stream)])?[1].number ?? 0
        return [.upsert(table: table.name, row: [.text(event.stream), .integer(count + 1)])]
    }
}
