import Events

/// The per-event checks of a store's `verify`, in the order events are stored: the same for
/// every store, so a ledger verifies alike wherever it is kept.
///
/// Columns arrive as raw bytes straight from the store, so a check allocates nothing but the
/// stream-version map's keys.
package struct EventVerifier {
    package private(set) var range = CompactRange()
    package private(set) var streamVersions: [String: Int] = [:]
    private var lastRecordedAt: [UInt8] = []
    private var layout = EnvelopeLayoutChecker()
    /// The kept tree nodes (``KeptTreeNodes``) the events determine, to compare with the stored ones.
    package private(set) var keptNodes: [NodeKey: TreeHash] = [:]

    package init() {}

    package mutating func check(
        position: Int, id: UnsafeRawBufferPointer, stream: UnsafeRawBufferPointer, streamVersion: Int,
        type: UnsafeRawBufferPointer, recordedAt: UnsafeRawBufferPointer,
        body: UnsafeRawBufferPointer, leafHash: UnsafeRawBufferPointer
    ) -> VerificationReport.Problem? {
        let expected = range.size + 1
        func problem(_ message: String) -> VerificationReport.Problem { .init(position: position, message: message) }
        if position != expected {
            return .init(position: expected, message: "position \(expected) is missing (the next stored event is at \(position))")
        }
        let leaf = MerkleTree.leafHash(body)
        guard let stored = TreeHash(bytes: leafHash), stored == leaf else {
            return problem("the stored bytes do not match the event's leaf hash")
        }
        let streamName = String(decoding: stream, as: UTF8.self)
        let previous = streamVersions[streamName] ?? 0
        if streamVersion != previous + 1 {
            return problem("stream \(streamName) jumps from version \(previous) to \(streamVersion)")
        }
        if recordedAt.lexicographicallyPrecedes(lastRecordedAt) {
            return problem("recorded_at \(String(decoding: recordedAt, as: UTF8.self)) is earlier than the event before (\(String(decoding: lastRecordedAt, as: UTF8.self)))")
        }
        guard layout.matches(body, id: id, position: position, recordedAt: recordedAt, stream: stream,
                             streamVersion: streamVersion, type: type) else {
            return problem("the row's columns do not match its stored bytes")
        }
        streamVersions[streamName] = streamVersion
        lastRecordedAt.removeAll(keepingCapacity: true)
        lastRecordedAt.append(contentsOf: recordedAt)
        range.append(leaf) { height, index, hash in
            if KeptTreeNodes.isKept(height: height) { keptNodes[NodeKey(height: height, index: index)] = hash }
        }
        return nil
    }

    /// A kept tree node's place.
    package struct NodeKey: Hashable {
        package var height: Int
        package var index: Int

        package init(height: Int, index: Int) {
            self.height = height
            self.index = index
        }
    }

    package func report(_ problem: VerificationReport.Problem?) -> VerificationReport {
        VerificationReport(verifiedSize: range.size, root: range.root, problem: problem)
    }
}

/// The tree heads recorded at commits, met in size order while the events are checked
/// (``EventVerifier/check(_:)``): read a head at a time from the store.
package struct RecordedHeads {
    private let next: () throws -> (size: Int, root: [UInt8])?
    fileprivate var current: (size: Int, root: [UInt8])?
    /// The largest size passed so far.
    fileprivate var lastSize = 0

    package init(_ next: @escaping () throws -> (size: Int, root: [UInt8])?) throws {
        self.next = next
        current = try next()
    }

    /// Reads the next head if the last read found none: for heads handed over in parts,
    /// where none may be pending between two parts.
    package mutating func refill() throws {
        if current == nil { current = try next() }
    }

    fileprivate mutating func advance() throws {
        lastSize = current?.size ?? lastSize
        current = try next()
    }
}

extension EventVerifier {
    /// Checks every recorded head the events have reached: each must be the root of the
    /// events up to its size, and name a size some event ends.
    package func check(_ heads: inout RecordedHeads) throws -> VerificationReport.Problem? {
        while let head = heads.current, head.size <= range.size {
            if head.size == range.size && head.root != range.root.bytes {
                return .init(position: head.size, message: "the tree head recorded at size \(head.size) does not match the events up to it")
            }
            if head.size < range.size {
                return .init(position: head.size, message: "a tree head is recorded for size \(head.size) but that event is missing")
            }
            try heads.advance()
        }
        return nil
    }

    /// Checks what the last event leaves behind: no head beyond the events, a head for the
    /// last commit (every commit that appends records one), the saved tree state and the
    /// saved stream count (nil where the store keeps none) as the events determine them.
    package func checkEnd(_ heads: RecordedHeads, savedRange: CompactRange?, savedStreams: Int?) -> VerificationReport.Problem? {
        if let head = heads.current {
            return .init(position: head.size, message: "a tree head is recorded for size \(head.size) but the ledger has only \(range.size) events")
        }
        if heads.lastSize != range.size {
            return .init(position: heads.lastSize + 1, message: "events from position \(heads.lastSize + 1) on were added without a tree head")
        }
        if savedRange != range {
            return .init(position: nil, message: "the saved tree state does not match the events (\(savedRange?.size ?? 0) saved, \(range.size) events)")
        }
        if let savedStreams, savedStreams != streamVersions.count {
            return .init(position: nil, message: "the saved stream count (\(savedStreams)) does not match the events (\(streamVersions.count) streams)")
        }
        return nil
    }

    /// Compares the stored kept nodes, read in order by `next` (a hash nil when it is not 32
    /// bytes), with those the events determine: every one present and equal.
    package func checkNodes(_ next: () throws -> (key: NodeKey, hash: TreeHash?)?) throws -> VerificationReport.Problem? {
        var stored = 0
        while let (key, hash) = try next() {
            stored += 1
            guard let expected = keptNodes[key], hash == expected else {
                return .init(position: nil, message: "the stored tree node at height \(key.height), index \(key.index) does not match the events")
            }
        }
        if stored != keptNodes.count {
            return .init(position: nil, message: "\(keptNodes.count - stored) tree nodes the events complete are not stored")
        }
        return nil
    }
}
