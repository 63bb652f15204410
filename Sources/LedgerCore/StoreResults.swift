import Events

/// What one append did: where the event is, and whether it was already there.
public struct AppendResult: Sendable, Equatable {
    /// The event's global position (the original one for a duplicate).
    public var position: Int
    public var id: EventID
    public var stream: StreamName
    public var streamVersion: Int
    /// True when an event with this id and identical content existed: nothing was written.
    public var isDuplicate: Bool

    package init(position: Int, id: EventID, stream: StreamName, streamVersion: Int, isDuplicate: Bool) {
        self.position = position
        self.id = id
        self.stream = stream
        self.streamVersion = streamVersion
        self.isDuplicate = isDuplicate
    }
}

/// What one batch append did.
public struct BatchResult: Sendable, Equatable {
    /// Events written by this batch.
    public var appended: Int = 0
    /// Events whose id and content were already in the ledger: skipped, not written again.
    public var duplicates: Int = 0
    /// Positions of the first and last event written (nil when nothing new was written).
    public var firstPosition: Int?
    public var lastPosition: Int?
    /// The tree head after the batch.
    public var treeHead: TreeHead

    package init(appended: Int = 0, duplicates: Int = 0, firstPosition: Int? = nil, lastPosition: Int? = nil, treeHead: TreeHead) {
        self.appended = appended
        self.duplicates = duplicates
        self.firstPosition = firstPosition
        self.lastPosition = lastPosition
        self.treeHead = treeHead
    }
}

/// One stored event as read from the ledger: its indexed columns and its exact stored bytes.
public struct StoredEvent: Sendable, Equatable {
    public var position: Int
    public var id: String
    public var stream: String
    public var streamVersion: Int
    public var type: String
    public var recordedAt: String
    /// The canonical envelope, byte for byte as appended and hashed.
    public var body: [UInt8]
    public var leafHash: [UInt8]

    package init(position: Int, id: String, stream: String, streamVersion: Int, type: String, recordedAt: String, body: [UInt8], leafHash: [UInt8]) {
        self.position = position
        self.id = id
        self.stream = stream
        self.streamVersion = streamVersion
        self.type = type
        self.recordedAt = recordedAt
        self.body = body
        self.leafHash = leafHash
    }
}

/// How a projection's tables were brought up to date.
public struct CatchUp: Sendable, Equatable {
    /// Events folded (of the projection's types).
    public var folded: Int
    /// Whether the tables were rebuilt from the first event (new projection or new version).
    public var rebuilt: Bool
    /// The ledger position the tables now reflect.
    public var position: Int

    package init(folded: Int, rebuilt: Bool, position: Int) {
        self.folded = folded
        self.rebuilt = rebuilt
        self.position = position
    }
}

/// A summary of a ledger: what `remedy status` prints.
public struct LedgerStatus: Sendable, Equatable {
    public var path: String
    public var schemaVersion: Int
    public var eventCount: Int
    public var streamCount: Int
    /// Bytes on disk: the database file plus its write-ahead log.
    public var fileSize: Int
    public var treeHead: TreeHead
    /// The newest event, nil for an empty ledger.
    public var lastEvent: StoredEvent?

    package init(path: String, schemaVersion: Int, eventCount: Int, streamCount: Int, fileSize: Int, treeHead: TreeHead, lastEvent: StoredEvent?) {
        self.path = path
        self.schemaVersion = schemaVersion
        self.eventCount = eventCount
        self.streamCount = streamCount
        self.fileSize = fileSize
        self.treeHead = treeHead
        self.lastEvent = lastEvent
    }
}

/// A stream's extent: where its first and last events are.
public struct StreamExtent: Sendable, Equatable {
    public var stream: String
    public var firstPosition: Int
    public var lastPosition: Int
    public var lastType: String
    public var version: Int

    package init(stream: String, firstPosition: Int, lastPosition: Int, lastType: String, version: Int) {
        self.stream = stream
        self.firstPosition = firstPosition
        self.lastPosition = lastPosition
        self.lastType = lastType
        self.version = version
    }
}

/// The outcome of `remedy verify`: the verified tree head, or the first position that fails.
public struct VerificationReport: Sendable, Equatable {
    /// The first problem found: where, and what.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// The position of the first event that does not match (nil for file-level problems).
        public var position: Int?
        public var message: String

        public var description: String {
            position.map { "position \($0): \(message)" } ?? message
        }

    package init(position: Int?, message: String) {
        self.position = position
        self.message = message
    }
}

    /// Events checked and found consistent (all of them when `problem` is nil).
    public var verifiedSize: Int
    /// The root recomputed over the verified events.
    public var root: TreeHash
    public var problem: Problem?

    public var isValid: Bool { problem == nil }

    package init(verifiedSize: Int, root: TreeHash, problem: Problem?) {
        self.verifiedSize = verifiedSize
        self.root = root
        self.problem = problem
    }
}
