import Events
import LedgerCore
import Projections

/// The contract every ``EventStore`` meets, as checks a store's own test class runs, each on a
/// fresh store from `make`: the SQLite store's tests run every one, and a new backend's tests
/// run the same ones. A check throws ``ContractViolation`` naming what the store got wrong
/// (the test framework reports it); it has no test framework of its own, so it builds with
/// the release build too.
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
    public func appendAndRead() throws {
        let store = try make()
        try expectEqual(try store.treeHead().size, 0, "a new store is empty")
        let first = try store.append(try event("order-1", "Placed", json: #"{"n":1}"#))
        let second = try store.append(try event("order-2", "Placed", json: #"{"n":2}"#))
        let third = try store.append(try event("order-1", "Shipped", json: #"{"n":3}"#))
        try expectEqual([first.position, second.position, third.position], [1, 2, 3])
        try expectEqual([first.streamVersion, second.streamVersion, third.streamVersion], [1, 1, 2])
        try expectNot(first.isDuplicate || second.isDuplicate || third.isDuplicate)

        let byPosition = try store.event(position: 3)
        try expectEqual(byPosition.id, third.id.rawValue)
        try expectEqual(byPosition.type, "Shipped")
        try expectEqual(try store.event(id: first.id), try store.event(position: 1))
        let envelope = try EventEnvelope(decoding: byPosition.body)
        try expectEqual(envelope.data, Array(#"{"n":3}"#.utf8), "the payload as appended")
        try expectEqual(byPosition.leafHash, MerkleTree.leafHash(byPosition.body).bytes, "the leaf hash of the stored bytes")

        var query = EventQuery()
        query.streams = [try StreamName("order-1")]
        try expectEqual(try store.events(query).map(\.position), [1, 3])
        query = EventQuery()
        query.types = ["Placed"]
        try expectEqual(try store.events(query).map(\.position), [1, 2])
        query = EventQuery()
        query.fromPosition = 2
        query.toPosition = 3
        try expectEqual(try store.events(query).map(\.position), [2, 3])
        try expectThrows(try store.event(position: 4)) { error in
            try expectEqual((error as? LedgerError)?.code, .eventNotFound, "\(error)")
        }
    }

    /// The same id with the same content is a duplicate (written once); the same id with
    /// other content, or a stream at another version than expected, is refused, and the
    /// store is unchanged.
    public func idempotenceAndExpectedVersions() throws {
        let store = try make()
        let id = try EventID("01936a52-0000-7000-8000-00000000c0de")
        let original = try store.append(try event("order-1", json: #"{"n":1}"#, id: id))
        let again = try store.append(try event("order-1", json: #"{"n":1}"#, id: id))
        try expect(again.isDuplicate)
        try expectEqual(again.position, original.position)
        let head = try store.treeHead()
        try expectEqual(head.size, 1)
        try expectThrows(try store.append(try event("order-1", json: #"{"n":2}"#, id: id))) { error in
            try expectEqual((error as? LedgerError)?.code, .idConflict, "\(error)")
        }
        try expectThrows(try store.append(try event("order-1", expect: .noStream))) { error in
            try expectEqual((error as? LedgerError)?.code, .wrongExpectedVersion, "\(error)")
        }
        try expectEqual(try store.treeHead(), head, "nothing written")
        try expectEqual(try store.append(try event("order-1", expect: .exactly(1))).streamVersion, 2)
        try expectEqual(try store.append(try event("order-9", expect: .noStream)).streamVersion, 1)
    }

    /// A batch is one transaction: an event refused halfway leaves nothing of the batch, and
    /// the error names the event by its context.
    public func batchesAreAllOrNothing() throws {
        let store = try make()
        try store.append(try event("order-1"))
        let head = try store.treeHead()
        let events = [try event("order-2"), try event("order-3"), try event("order-1", expect: .noStream), try event("order-4")]
        var index = 0
        try expectThrows(try store.append(batch: {
            defer { index += 1 }
            return index < events.count ? (events[index], "line \(index + 1)") : nil
        }, onEach: { _ in })) { error in
            try expect("\(error)".hasPrefix("line 3: "), "\(error)")
        }
        try expectEqual(try store.treeHead(), head, "nothing of the batch written")
        index = 0
        var seen: [Int] = []
        let done = try store.append(batch: {
            defer { index += 1 }
            return index < 2 ? (events[index], "line \(index + 1)") : nil
        }, onEach: { seen.append($0.position) })
        try expectEqual([done.appended, done.firstPosition, done.lastPosition], [2, 2, 3])
        try expectEqual(seen, [2, 3])
        try expectEqual(done.treeHead, try store.treeHead())
    }

    /// The tree head is the RFC 9162 root of the stored leaf hashes, at every size; inclusion
    /// and consistency proofs verify against those roots, across the 256-leaf boundary.
    public func treeAndProofs() throws {
        let store = try make()
        var remaining = 300
        _ = try store.append(batch: {
            remaining -= 1
            return remaining >= 0 ? (try event("tick-\(remaining % 3)", json: #"{"n":\#(remaining)}"#), nil) : nil
        }, onEach: { _ in })
        let leaves = try store.events(EventQuery()).map { TreeHash(bytes: $0.leafHash)! }
        try expectEqual(leaves.count, 300)
        try expectEqual(try store.treeHead().root, MerkleTree.root(ofLeafHashes: leaves))
        for size in [1, 2, 255, 256, 257, 300] {
            let root = try store.treeHead(size: size).root
            try expectEqual(root, MerkleTree.root(ofLeafHashes: leaves.prefix(size)), "size \(size)")
            for position in Set([1, size, (size + 1) / 2]) {
                let proof = try store.inclusionProof(position: position, size: size)
                try expectEqual(proof.leafHash, leaves[position - 1])
                try expectNoThrow(try proof.verify(root: root), "inclusion of \(position) in \(size)")
            }
            if size < 300 {
                let proof = try store.consistencyProof(from: size, to: nil)
                try expectNoThrow(try proof.verify(fromRoot: root, toRoot: try store.treeHead().root), "consistency from \(size)")
            }
        }
        try expectThrows(try store.treeHead(size: 301), "a size beyond the last event")
        try expect(try store.verify(progress: { _ in }).isValid)
        try expectEqual(try store.verify(progress: { _ in }).verifiedSize, 300)
    }

    /// A write transaction commits what it appends when it returns, nothing when it throws,
    /// and reads its own appends.
    public func writeTransactions() throws {
        let store = try make()
        try expectThrows(try store.write { writer in
            _ = try writer.append(try event("order-1"))
            throw ContractAbandon()
        })
        try expectEqual(try store.treeHead().size, 0, "rolled back")
        let seen = try store.write { writer -> (Int, Int) in
            _ = try writer.append(try event("order-1"))
            _ = try writer.append(try event("order-1"))
            return (try writer.events(EventQuery()).count, try writer.version(of: try StreamName("order-1")))
        }
        try expectEqual(seen.0, 2, "its own appends")
        try expectEqual(seen.1, 2)
        try expectEqual(try store.treeHead().size, 2, "committed")
        try expectNot(try store.origin().isEmpty)
        try expectEqual(try store.origin(), try store.origin(), "permanent")
    }

    /// Projections' tables follow the events: caught up, they hold the fold of every event;
    /// caught up again, they fold only what is new; rows are selected by column, and a
    /// transaction asks which of some keys a table holds, and steps through a table row by row.
    public func projectionsCatchUp() throws {
        let store = try make()
        try store.append(try event("order-1"))
        try store.append(try event("order-2"))
        try store.append(try event("order-1"))
        let first = try store.catchUp([StreamCounts.self])[0]
        try expectEqual([first.folded, first.position], [3, 3])
        try expectEqual(try store.rows(of: StreamCounts.table, matching: []), [[.text("order-1"), .integer(2)], [.text("order-2"), .integer(1)]])
        try store.append(try event("order-2"))
        let second = try store.catchUp([StreamCounts.self])[0]
        try expectEqual([second.folded, second.position], [1, 4], "only the new event")
        try expectNot(second.rebuilt)
        try expectEqual(try store.rows(of: StreamCounts.table, matching: [("stream", .text("order-2"))]), [[.text("order-2"), .integer(2)]])
        let nothing = try store.catchUp([StreamCounts.self])[0]
        try expectEqual(nothing.folded, 0)
        // Which keys a table holds, in one question.
        let stored = try store.write { try $0.storedKeys(of: StreamCounts.table, among: [.text("order-1"), .text("order-9"), .text("order-2")]) }
        try expectEqual(stored, [.text("order-1"), .text("order-2")])
        // Rows one at a time, as a transaction sees them: the same rows in the same order.
        let streamed = try store.write { writer in
            var rows: [[RowValue]] = []
            try writer.forEachRow(of: StreamCounts.table, matching: []) { rows.append($0) }
            return rows
        }
        try expectEqual(streamed, [[.text("order-1"), .integer(2)], [.text("order-2"), .integer(2)]])
    }
}

/// What a store did against the contract.
public struct ContractViolation: Error, CustomStringConvertible {
    public let description: String
}

private func expect(_ condition: @autoclosure () throws -> Bool, _ message: @autoclosure () -> String = "") throws {
    guard try condition() else { throw ContractViolation(description: "expected true: \(message())") }
}

private func expectNot(_ condition: @autoclosure () throws -> Bool, _ message: @autoclosure () -> String = "") throws {
    guard try !condition() else { throw ContractViolation(description: "expected false: \(message())") }
}

private func expectEqual<T: Equatable>(_ actual: @autoclosure () throws -> T, _ expected: @autoclosure () throws -> T,
                                       _ message: @autoclosure () -> String = "") throws {
    let (a, e) = (try actual(), try expected())
    guard a == e else { throw ContractViolation(description: "\(a) is not \(e): \(message())") }
}

private func expectNoThrow(_ body: @autoclosure () throws -> Void, _ message: @autoclosure () -> String = "") throws {
    do { try body() } catch { throw ContractViolation(description: "threw \(error): \(message())") }
}

private func expectThrows<T>(_ body: @autoclosure () throws -> T, _ message: @autoclosure () -> String = "",
                             _ check: (any Error) throws -> Void = { _ in }) throws {
    do {
        _ = try body()
    } catch {
        try check(error)
        return
    }
    throw ContractViolation(description: "did not throw: \(message())")
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
