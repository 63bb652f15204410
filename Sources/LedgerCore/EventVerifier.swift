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
