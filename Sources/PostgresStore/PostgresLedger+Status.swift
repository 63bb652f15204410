import Dispatch
import Events
import LedgerCore

extension PostgresLedger {
    /// The server's address, without its password.
    public var locationDescription: String { location.description }

    /// The ledger's size, streams, last event and the space its tables take on the server.
    public func status() throws -> LedgerStatus {
        try session.transaction {
            try session.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            let head = try treeHead()
            let streams = try session.query("SELECT streams FROM tree_state WHERE id = 1").first?.int(0) ?? 0
            let version = try session.query("SELECT max(version) FROM schema_migrations").first?.optionalInt(0) ?? 0
            let size = try session.query("""
                SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
                JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'
                """, [.text(location.schema)]).first?.int(0) ?? 0
            let last = head.size > 0 ? try event(position: head.size) : nil
            return LedgerStatus(path: location.description, schemaVersion: version, eventCount: head.size, streamCount: streams,
                                fileSize: size, treeHead: head, lastEvent: last)
        }
    }

    /// Follows the ledger like `tail -f`, woken by the server: each commit's `NOTIFY` (sent in
    /// the append transaction, delivered when it commits) ends the wait at once, so a new
    /// event prints within a round trip of its commit instead of a polling interval. `LISTEN`
    /// starts before the first read, so no commit falls between the two; without any
    /// notification it still looks once a second.
    public func follow(
        _ query: EventQuery,
        _ body: (_ position: Int, _ bytes: UnsafeRawBufferPointer) throws -> Bool,
        afterEachRound: () -> Bool
    ) throws {
        let wake = DispatchSemaphore(value: 0)
        let channel = Self.channel(location.schema)
        let listening = try session.listen(channel) { wake.signal() }
        defer { listening.stop() }
        try followLoop(query, body, afterEachRound: afterEachRound) {
            _ = wake.wait(timeout: .now() + .seconds(1))
            while wake.wait(timeout: .now()) == .success {}   // one read serves every commit so far
        }
    }
}
