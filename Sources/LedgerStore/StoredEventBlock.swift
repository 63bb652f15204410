/// A run of stored events copied out of SQLite, with the tree heads recorded up to its last
/// position: what `verify` reads on one thread and checks on another.
///
/// A statement's column bytes are valid only until its next step, so a block copies them, one
/// buffer for the whole block (a few hundred KiB), and hands them over as slices:
///
/// ```swift
/// var block = StoredEventBlock()
/// while block.count < StoredEventBlock.capacity, try rows.step() { block.append(rows) }
/// block.forEach { position, id, stream, streamVersion, type, recordedAt, body, leafHash in ... }
/// ```
struct StoredEventBlock: Sendable {
    /// Events a block holds at most.
    static let capacity = 512

    private var positions: [Int] = []
    private var streamVersions: [Int] = []
    /// Where each event's id, stream, type, recorded_at, body and leaf hash end in ``bytes``:
    /// six offsets an event.
    private var ends: [Int] = []
    private var bytes: [UInt8] = []
    /// The tree heads with a size up to the block's last position (and, in the last block,
    /// every one left), in size order.
    var heads: [RecordedHead] = []

    /// A tree head as `tree_heads` stores it.
    struct RecordedHead: Sendable {
        var size: Int
        var root: [UInt8]
    }

    var count: Int { positions.count }
    var lastPosition: Int? { positions.last }

    /// Copies the current row of a `SELECT` of ``Ledger/storedEventColumns``.
    mutating func append(_ row: SQLiteStatement) {
        positions.append(row.int(0))
        streamVersions.append(row.int(3))
        for column: Int32 in [1, 2, 4, 5, 6, 7] {
            bytes.append(contentsOf: row.blobBuffer(column))
            ends.append(bytes.count)
        }
    }

    /// Calls `body` with each event's columns, in order, while it returns true.
    func forEach(_ body: (_ position: Int, _ id: UnsafeRawBufferPointer, _ stream: UnsafeRawBufferPointer, _ streamVersion: Int,
                          _ type: UnsafeRawBufferPointer, _ recordedAt: UnsafeRawBufferPointer, _ body: UnsafeRawBufferPointer,
                          _ leafHash: UnsafeRawBufferPointer) throws -> Bool) rethrows {
        try bytes.withUnsafeBytes { all in
            var start = 0
            func next(_ end: Int) -> UnsafeRawBufferPointer {
                defer { start = end }
                return UnsafeRawBufferPointer(rebasing: all[start..<end])
            }
            for index in positions.indices {
                let end = ends[6 * index ..< 6 * index + 6]
                let id = next(end[end.startIndex]), stream = next(end[end.startIndex + 1]), type = next(end[end.startIndex + 2])
                let recordedAt = next(end[end.startIndex + 3]), stored = next(end[end.startIndex + 4]), leafHash = next(end[end.startIndex + 5])
                guard try body(positions[index], id, stream, streamVersions[index], type, recordedAt, stored, leafHash) else { return }
            }
        }
    }
}
