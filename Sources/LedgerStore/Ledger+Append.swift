import Events

extension Ledger {
    /// Appends a batch of events to any streams in one transaction: all of them, or none.
    ///
    /// `next` supplies events one at a time (nil when done) with an optional context such as
    /// `line 12` that errors are prefixed with. Events are written as they arrive, so memory
    /// does not grow with the batch; `onEach` sees each result.
    ///
    /// - Throws: ``LedgerError`` (`.invalidEvent` with code `.emptyBatch` when `next` supplies
    ///   nothing), or whatever `next` throws; nothing is written.
    @discardableResult
    public func append(
        batch next: () throws -> (ProposedEvent, context: String?)?,
        onEach: (AppendResult) -> Void = { _ in }
    ) throws -> BatchResult {
        guard mode == .readWrite else {
            throw LedgerError(.readOnly, "the ledger \(location.path) was opened read-only")
        }
        return try mapErrors("append to") {
            try transaction {
                var session = try AppendSession(ledger: self)
                try AppendRules.feed(next, onEach: onEach) { try session.append($0) }
                return try session.finish()
            }
        }
    }
}

/// The state of one append transaction: the next position, the tree's right edge, the
/// streams' versions seen so far and the prepared statements.
struct AppendSession {
    let ledger: Ledger
    private let insert: SQLiteStatement
    /// The insert's values, bound without SQLite copying them.
    private let insertRow: InPlaceBindings
    private let findID: SQLiteStatement
    private let streamVersion: SQLiteStatement
    private var range: CompactRange
    private(set) var nextPosition: Int
    private let recordedAt: Timestamp
    private let recordedAtText: String
    /// The last event's recorded_at: stored events may not go before it.
    var lastRecordedAtText: String
    private var versions: [StreamName: Int] = [:]
    /// The stream appended to last and its version, kept outside ``versions`` until another
    /// stream is appended to: a run's outcomes all go to its stream, and hashing the stream's
    /// name twice an event was a twentieth of an ingest's writing.
    private var lastStream: StreamName?
    private var lastVersion = 0
    /// Streams this batch started (their first event): added to the stored stream count.
    private var startedStreams = 0
    private var body: [UInt8] = []
    var result: BatchResult

    /// Events this session has appended so far.
    var appended: Int { result.appended }

    /// What the session has done so far, with the tree head it would commit.
    var summary: BatchResult {
        var summary = result
        summary.treeHead = TreeHead(size: range.size, root: range.root)
        return summary
    }
    /// The first position this session appends at.
    private var firstNewPosition = 0

    /// Whether this session has appended an event of one of `types` (asked of the rows it
    /// wrote, through the type index): read models may still be caught up mid-transaction
    /// when it has not.
    func hasAppended(anyOf types: [String]) throws -> Bool {
        guard result.appended > 0, !types.isEmpty else { return false }
        let placeholders = Array(repeating: "?", count: types.count).joined(separator: ", ")
        let statement = try ledger.connection.prepare(
            "SELECT 1 FROM events INDEXED BY events_by_type WHERE type IN (\(placeholders)) AND position >= ? LIMIT 1")
        try statement.bind(types.map { .text($0) } + [.int(firstNewPosition)])
        return try statement.step()
    }

    /// Bounds the stream-version cache so a batch over millions of streams stays small.
    private static let versionCacheLimit = 50_000

    init(ledger: Ledger) throws {
        self.ledger = ledger
        let connection = ledger.connection
        insert = try connection.cachedStatement("""
            INSERT INTO events (position, event_id, stream, stream_version, type, recorded_at, body, leaf_hash)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insertRow = InPlaceBindings(insert)
        findID = try connection.cachedStatement(
            "SELECT position, stream_version, recorded_at, body FROM events WHERE event_id = ?")
        streamVersion = try connection.cachedStatement(
            "SELECT max(stream_version) FROM events WHERE stream = ?")

        let tail = try connection.cachedStatement("SELECT position, recorded_at FROM events ORDER BY position DESC LIMIT 1")
        defer { tail.reset() }
        let lastPosition = try tail.step() ? tail.int(0) : 0
        var lastRecordedAt = Timestamp(millisecondsSinceEpoch: 0)
        if lastPosition > 0 {
            guard let parsed = try? Timestamp(parsing: tail.text(1)) else {
                throw LedgerError(.corrupt, "the last event of \(ledger.location.path) has an unreadable recorded_at; run `remedy verify`")
            }
            lastRecordedAt = parsed
        }

        range = try ledger.storedRange()
        let start = try AppendRules.start(range: range, lastPosition: lastPosition, lastRecordedAt: lastRecordedAt, ledger: ledger.location.path)
        nextPosition = start.nextPosition
        firstNewPosition = nextPosition
        recordedAt = start.recordedAt
        recordedAtText = start.recordedAtText
        lastRecordedAtText = start.lastRecordedAtText
        result = start.result
    }

    mutating func append(_ event: ProposedEvent) throws -> AppendResult {
        if let id = event.id, let existing = try existingEvent(id) {
            let duplicate = try AppendRules.duplicate(event, id: id, of: existing, scratch: &body)
            result.duplicates += 1
            return duplicate
        }
        let version = try AppendRules.nextVersion(of: event, current: try version(of: event.stream))
        let id = event.id ?? ledger.idGenerator.next(millis: recordedAt.millisecondsSinceEpoch)
        let position = nextPosition

        body.removeAll(keepingCapacity: true)
        EventEnvelope.appendCanonical(
            data: event.data, id: id, metadata: event.metadata, position: position,
            recordedAt: recordedAtText, schemaVersion: event.schemaVersion, stream: event.stream,
            streamVersion: version, type: event.type, to: &body)
        let leaf = MerkleTree.leafHash(body)

        try insertEvent(position: position, id: id.rawValue, stream: event.stream.rawValue, version: version,
                        type: event.type.rawValue, recordedAt: recordedAtText, body: body, leaf: leaf)
        try record(leaf: leaf, stream: event.stream, version: version, position: position)
        return AppendResult(position: position, id: id, stream: event.stream, streamVersion: version, isDuplicate: false)
    }

    /// Writes one row of `events`: the one insert both an append and an import
    /// (``appendStored(_:)``) make, its values bound in place.
    func insertEvent(position: Int, id: String, stream: String, version: Int, type: String, recordedAt: String,
                     body: some BlobBytes, leaf: TreeHash) throws {
        try body.withUnsafeBytes { body in
            try leaf.withUnsafeBytes { leaf in
                try insertRow.bind([.int(position), .text(id), .text(stream), .int(version),
                                    .text(type), .text(recordedAt), .blob(body), .blob(leaf)])
            }
        }
        try insert.run()
    }

    /// What follows every insert: the tree and its kept nodes, the stream's version, the tally.
    mutating func record(leaf: TreeHash, stream: StreamName, version: Int, position: Int) throws {
        let connection = ledger.connection
        try range.append(leaf) { height, index, hash in
            try TreeNodes.record(height: height, index: index, hash: hash, in: connection)
        }
        if stream != lastStream {
            if let lastStream {
                if versions.count >= Self.versionCacheLimit { versions.removeAll(keepingCapacity: true) }
                versions[lastStream] = lastVersion
            }
            lastStream = stream
        }
        lastVersion = version
        if version == 1 { startedStreams += 1 }
        nextPosition += 1
        result.appended += 1
        if result.firstPosition == nil { result.firstPosition = position }
        result.lastPosition = position
    }

    /// Records the new tree head and range; returns the batch's summary.
    mutating func finish() throws -> BatchResult {
        let head = TreeHead(size: range.size, root: range.root)
        if result.appended > 0 {
            let connection = ledger.connection
            let recordHead = try connection.cachedStatement("INSERT INTO tree_heads (size, root, recorded_at) VALUES (?, ?, ?)")
            recordHead.bind(head.size, at: 1)
            recordHead.bind(blob: head.root, at: 2)
            recordHead.bind(recordedAtText, at: 3)
            try recordHead.run()
            let saveRange = try connection.cachedStatement("UPDATE tree_state SET size = ?, range = ?, streams = streams + ? WHERE id = 1")
            saveRange.bind(range.size, at: 1)
            saveRange.bind(blob: range.serialized, at: 2)
            saveRange.bind(startedStreams, at: 3)
            try saveRange.run()
        }
        result.treeHead = head
        return result
    }

    private func existingEvent(_ id: EventID) throws -> (position: Int, streamVersion: Int, recordedAt: String, body: [UInt8])? {
        findID.reset()
        // Reset after reading: a statement left on a row keeps a read transaction open.
        defer { findID.reset() }
        findID.bind(id.rawValue, at: 1)
        guard try findID.step() else { return nil }
        return (findID.int(0), findID.int(1), findID.text(2), findID.blob(3))
    }

    func version(of stream: StreamName) throws -> Int {
        if stream == lastStream { return lastVersion }
        if let cached = versions[stream] { return cached }
        streamVersion.reset()
        defer { streamVersion.reset() }
        streamVersion.bind(stream.rawValue, at: 1)
        _ = try streamVersion.step()
        return streamVersion.isNull(0) ? 0 : streamVersion.int(0)
    }
}
