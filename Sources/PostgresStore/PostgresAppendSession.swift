import Events
import LedgerCore

/// One write transaction's appends on PostgreSQL: the next position, the tree's right edge,
/// the streams' versions seen so far, and rows not yet sent.
///
/// Its first statement locks the tree's state row (`FOR UPDATE`): a second writer waits
/// there until this one commits, then reads the state this one left, so positions are
/// handed out in commit order with no gaps. Rows go to the server in multi-row inserts of up
/// to ``flushSize``, not one round trip each.
struct PostgresAppendSession {
    let ledger: PostgresLedger
    private var range: CompactRange
    private var nextPosition: Int
    private let recordedAt: Timestamp
    private let recordedAtText: String
    /// The last event's recorded_at: stored events may not go before it.
    private var lastRecordedAtText: String
    private var versions: [StreamName: Int] = [:]
    private var startedStreams = 0
    private var result: BatchResult
    /// Rows appended but not yet sent, and where their ids are, so a repeated id in one batch
    /// is found before it reaches the server.
    private var pendingEvents = PendingEvents()
    private var pendingIDs: [String: (position: Int, streamVersion: Int, body: [UInt8])] = [:]
    private var pendingNodes: [[PostgresValue]] = []
    /// Stored events looked up ahead by id (``prefetch(_:)``), and ids known to be absent.
    private var storedIDs: [String: (position: Int, streamVersion: Int, recordedAt: String, body: [UInt8])] = [:]
    private var absentIDs: Set<String> = []
    /// The event types this session appended, for ``hasAppended(anyOf:)``.
    private var appendedTypes: Set<String> = []

    /// Rows per insert statement: a window of the door's look-ahead (measured: 256 rows
    /// beat 500 and 2,000 on a bulk append).
    static let flushSize = 256

    /// What the session has done so far, with the tree head it would commit.
    var summary: BatchResult {
        var summary = result
        summary.treeHead = TreeHead(size: range.size, root: range.root)
        return summary
    }

    init(ledger: PostgresLedger) throws {
        self.ledger = ledger
        let session = ledger.session
        guard let state = try session.query("SELECT size, range FROM tree_state WHERE id = 1 FOR UPDATE").first,
              let range = CompactRange(size: try state.int(0), serialized: try state.bytes(1)) else {
            throw LedgerError(.corrupt, "the ledger at \(ledger.location) has no valid tree state; run `remedy verify`")
        }
        let tail = try session.query("SELECT position, recorded_at FROM events ORDER BY position DESC LIMIT 1").first
        let lastPosition = try tail?.int(0) ?? 0
        var lastRecordedAt = Timestamp(millisecondsSinceEpoch: 0)
        if let tail {
            guard let parsed = try? Timestamp(parsing: try tail.text(1)) else {
                throw LedgerError(.corrupt, "the last event of \(ledger.location) has an unreadable recorded_at; run `remedy verify`")
            }
            lastRecordedAt = parsed
        }
        let start = try AppendRules.start(range: range, lastPosition: lastPosition, lastRecordedAt: lastRecordedAt, ledger: ledger.location.description)
        self.range = range
        nextPosition = start.nextPosition
        recordedAt = start.recordedAt
        recordedAtText = start.recordedAtText
        lastRecordedAtText = start.lastRecordedAtText
        result = start.result
    }

    mutating func append(_ event: ProposedEvent) throws -> AppendResult {
        var body: [UInt8] = []
        if let id = event.id, let existing = try existingEvent(id) {
            let duplicate = try AppendRules.duplicate(event, id: id, of: existing, scratch: &body)
            result.duplicates += 1
            return duplicate
        }
        let version = try AppendRules.nextVersion(of: event, current: try version(of: event.stream))
        let id = event.id ?? ledger.idGenerator.next(millis: recordedAt.millisecondsSinceEpoch)
        let position = nextPosition
        EventEnvelope.appendCanonical(
            data: event.data, id: id, metadata: event.metadata, position: position,
            recordedAt: recordedAtText, schemaVersion: event.schemaVersion, stream: event.stream,
            streamVersion: version, type: event.type, to: &body)
        try record(position: position, id: id.rawValue, stream: event.stream, version: version, type: event.type.rawValue,
                   recordedAt: recordedAtText, body: body, leaf: MerkleTree.leafHash(body))
        return AppendResult(position: position, id: id, stream: event.stream, streamVersion: version, isDuplicate: false)
    }

    /// Stores an event exactly as another ledger stored it (see ``EventStoreWriter/appendStored(_:)``).
    mutating func appendStored(_ event: StoredEnvelope) throws {
        let header = event.header
        if header.position < nextPosition {
            try flush()
            guard let row = try ledger.session.query("SELECT leaf_hash FROM events WHERE position = $1", [.int(header.position)]).first,
                  TreeHash(bytes: try row.bytes(0)) == event.leafHash else {
                throw LedgerError(.conflict, "the ledger's event at position \(header.position) is not the one given: the ledger is not a prefix of the source")
            }
            result.duplicates += 1
            return
        }
        guard header.position == nextPosition else {
            throw LedgerError(.invalidEvent, "the next position is \(nextPosition), not \(header.position): the events do not continue this ledger")
        }
        let stream = header.text(header.stream, in: event.body), recordedAt = header.text(header.recordedAt, in: event.body)
        let streamName = try StreamName(stream)
        let current = try version(of: streamName)
        guard header.streamVersion == current + 1 else {
            throw LedgerError(.invalidEvent, "stream \(stream) is at version \(current) in the ledger, and the event at position \(header.position) has version \(header.streamVersion)")
        }
        guard recordedAt >= lastRecordedAtText else {
            throw LedgerError(.invalidEvent, "the event at position \(header.position) was recorded before the ledger's last event")
        }
        try record(position: header.position, id: header.text(header.id, in: event.body), stream: streamName, version: header.streamVersion,
                   type: header.text(header.type, in: event.body), recordedAt: recordedAt, body: Array(event.body), leaf: event.leafHash)
        lastRecordedAtText = recordedAt
    }

    /// Queues an event's row and does what follows every insert: the tree and its kept
    /// nodes, the stream's version, the tally.
    private mutating func record(position: Int, id: String, stream: StreamName, version: Int, type: String,
                                 recordedAt: String, body: [UInt8], leaf: TreeHash) throws {
        pendingEvents.append(position: position, id: id, stream: stream.rawValue, version: version,
                             type: type, recordedAt: recordedAt, body: body, leaf: leaf.bytes)
        pendingIDs[id] = (position, version, body)
        absentIDs.remove(id)   // stored now: after a flush, a repeat finds it in the table
        appendedTypes.insert(type)
        range.append(leaf) { height, index, hash in
            if KeptTreeNodes.isKept(height: height) { pendingNodes.append([.int(height), .int(index), .bytes(hash.bytes)]) }
        }
        versions[stream] = version
        if version == 1 { startedStreams += 1 }
        nextPosition += 1
        result.appended += 1
        if result.firstPosition == nil { result.firstPosition = position }
        result.lastPosition = position
        if pendingEvents.count >= Self.flushSize { try flush() }
    }

    /// Sends the rows not yet sent: what a read inside the transaction must see first. The
    /// server inserts them while the session goes on (``PostgresSession/send(_:_:)``); any
    /// later statement waits for them.
    mutating func flush() throws {
        var statement = PostgresStatement()
        pendingEvents.insert(into: &statement)
        statement.insert(into: "tree_nodes (height, idx, hash)", rows: pendingNodes)
        try statement.send(on: ledger.session)
        clearPending()
    }

    private mutating func clearPending() {
        pendingEvents = PendingEvents()
        pendingNodes.removeAll(keepingCapacity: true)
        pendingIDs.removeAll(keepingCapacity: true)
    }

    /// Records the rows not yet sent, the new tree head and state, and tells listeners, in one
    /// statement (one round trip); returns the batch's summary.
    mutating func finish() throws -> BatchResult {
        let head = TreeHead(size: range.size, root: range.root)
        var statement = PostgresStatement()
        pendingEvents.insert(into: &statement)
        statement.insert(into: "tree_nodes (height, idx, hash)", rows: pendingNodes)
        if result.appended > 0 {
            statement.insert(into: "tree_heads (size, root, recorded_at)", rows: [[.int(head.size), .bytes(head.root.bytes), .text(recordedAtText)]])
            statement.add("UPDATE tree_state SET size = $, range = $, streams = streams + $ WHERE id = 1",
                          [.int(range.size), .bytes(range.serialized), .int(startedStreams)])
            // Delivered on commit, in commit order: `events --follow` wakes on it.
            statement.finally("SELECT pg_notify($, $)", [.text(PostgresLedger.channel(ledger.location.schema)), .text(String(head.size))])
        }
        try statement.run(on: ledger.session)
        clearPending()
        result.treeHead = head
        return result
    }

    /// Whether this session appended an event of one of `types`.
    func hasAppended(anyOf types: [String]) -> Bool {
        types.contains { appendedTypes.contains($0) }
    }

    /// Looks up, in one query each, the versions of the streams of `events` not known yet and
    /// which of their ids are stored: a bulk append then makes a round trip per few hundred
    /// events, not per event.
    mutating func prefetch(_ events: [ProposedEvent]) throws {
        let streams = Set(events.map(\.stream)).filter { versions[$0] == nil }
        if !streams.isEmpty {
            if versions.count + streams.count >= Self.versionCacheLimit {
                try flush()
                versions.removeAll(keepingCapacity: true)
            }
            for stream in streams { versions[stream] = 0 }
            // One index probe per stream (the newest version first), whatever the planner
            // thinks of a table that grew inside this transaction.
            for row in try ledger.session.query("""
                SELECT s, (SELECT stream_version FROM events WHERE stream = s ORDER BY stream_version DESC LIMIT 1)
                FROM unnest($1::text[]) AS s
                """, [.textArray(streams.map(\.rawValue))]) where !row.isNull(1) {
                versions[try StreamName(try row.text(0))] = try row.int(1)
            }
        }
        let ids = Set(events.compactMap { $0.id?.rawValue }).filter { pendingIDs[$0] == nil && storedIDs[$0] == nil && !absentIDs.contains($0) }
        if !ids.isEmpty {
            if absentIDs.count + ids.count >= Self.versionCacheLimit { absentIDs.removeAll(keepingCapacity: true) }
            if storedIDs.count >= Self.versionCacheLimit { storedIDs.removeAll(keepingCapacity: true) }
            absentIDs.formUnion(ids)
            for row in try ledger.session.query("SELECT event_id, position, stream_version, recorded_at, body FROM events WHERE event_id = ANY($1)",
                                                [.textArray(Array(ids))]) {
                let id = try row.text(0)
                absentIDs.remove(id)
                storedIDs[id] = (try row.int(1), try row.int(2), try row.text(3), try row.bytes(4))
            }
        }
    }

    private func existingEvent(_ id: EventID) throws -> (position: Int, streamVersion: Int, recordedAt: String, body: [UInt8])? {
        if let pending = pendingIDs[id.rawValue] { return (pending.position, pending.streamVersion, recordedAtText, pending.body) }
        if let stored = storedIDs[id.rawValue] { return stored }
        if absentIDs.contains(id.rawValue) { return nil }
        guard let row = try ledger.session.query("SELECT position, stream_version, recorded_at, body FROM events WHERE event_id = $1",
                                                 [.text(id.rawValue)]).first else { return nil }
        return (try row.int(0), try row.int(1), try row.text(2), try row.bytes(3))
    }

    mutating func version(of stream: StreamName) throws -> Int {
        if let cached = versions[stream] { return cached }
        let version = try ledger.session.query("SELECT max(stream_version) FROM events WHERE stream = $1", [.text(stream.rawValue)])
            .first?.optionalInt(0) ?? 0
        if versions.count >= Self.versionCacheLimit {
            try flush()   // the server then knows every version the cache forgets
            versions.removeAll(keepingCapacity: true)
        }
        versions[stream] = version
        return version
    }

    /// Bounds the stream-version cache so a batch over millions of streams stays small.
    private static let versionCacheLimit = 50_000
}

/// Event rows not yet sent, a column each: they go to the server as one array per column
/// (``PostgresStatement/insert(into:columns:rowCount:)``).
private struct PendingEvents {
    private var positions: [Int] = [], ids: [String] = [], streams: [String] = [], versions: [Int] = []
    private var types: [String] = [], recordedAts: [String] = [], bodies: [[UInt8]] = [], leaves: [[UInt8]] = []

    var count: Int { positions.count }

    mutating func append(position: Int, id: String, stream: String, version: Int, type: String,
                         recordedAt: String, body: [UInt8], leaf: [UInt8]) {
        positions.append(position); ids.append(id); streams.append(stream); versions.append(version)
        types.append(type); recordedAts.append(recordedAt); bodies.append(body); leaves.append(leaf)
    }

    func insert(into statement: inout PostgresStatement) {
        statement.insert(into: "events (position, event_id, stream, stream_version, type, recorded_at, body, leaf_hash)",
                         columns: [("bigint", .intArray(positions)), ("text", .textArray(ids)), ("text", .textArray(streams)),
                                   ("bigint", .intArray(versions)), ("text", .textArray(types)), ("text", .textArray(recordedAts)),
                                   ("bytea", .bytesArray(bodies)), ("bytea", .bytesArray(leaves))],
                         rowCount: count)
    }
}

extension PostgresLedger {
    /// The `LISTEN` channel a ledger's commits are announced on, with the new tree size.
    public static func channel(_ schema: String) -> String {
        "remedy_\(schema)"
    }
}
