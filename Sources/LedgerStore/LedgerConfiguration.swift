/// How a ledger connection behaves: durability, waiting for other writers, memory.
public struct LedgerConfiguration: Sendable, Equatable {
    /// SQLite's `synchronous` setting. See <https://www.sqlite.org/pragma.html#pragma_synchronous>.
    public enum Synchronous: String, Sendable {
        /// Every commit is fsynced: a committed append survives power loss. The default.
        case full = "FULL"
        /// WAL commits are fsynced at checkpoints only: faster, and a power loss may undo the
        /// last commits (never corrupt the file).
        case normal = "NORMAL"
    }

    public var synchronous: Synchronous
    /// How long a writer waits for another writer's transaction before giving up.
    public var busyTimeoutMilliseconds: Int32
    /// SQLite's page cache per connection, in KiB.
    public var cacheSizeKiB: Int
    /// Read-model rows a fold changes in memory before writing them out (in key order); twice
    /// as many are kept cached. Bounds a rebuild's memory whatever the ledger's size.
    public var readModelWriteBatch: Int
    /// Read models are snapshotted each time their folds pass a multiple of this many events,
    /// so time travel folds at most this many (see ``ReadModelSnapshot``); 0 keeps and uses none.
    public var snapshotInterval: Int
    /// A catch-up or rebuild of at least this many events folds in two lanes on two threads
    /// (see ``Ledger/catchUp(_:)-([any Projection.Type])``); a shorter one is not worth a
    /// second thread and connection.
    public var twoLaneFoldMinimum: Int

    public init(synchronous: Synchronous = .full, busyTimeoutMilliseconds: Int32 = 60_000, cacheSizeKiB: Int = 16_384,
                readModelWriteBatch: Int = 4_096, snapshotInterval: Int = 100_000, twoLaneFoldMinimum: Int = 20_000) {
        self.synchronous = synchronous
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.cacheSizeKiB = cacheSizeKiB
        self.readModelWriteBatch = max(1, readModelWriteBatch)
        self.snapshotInterval = max(0, snapshotInterval)
        self.twoLaneFoldMinimum = max(0, twoLaneFoldMinimum)
    }

    public static let `default` = LedgerConfiguration()
}
