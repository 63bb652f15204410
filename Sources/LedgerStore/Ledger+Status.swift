#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemIO

extension Ledger {
    /// Counts, size, tree head and the last event.
    ///
    /// - Throws: ``LedgerError``.
    public func status() throws -> LedgerStatus {
        try mapErrors("read") {
            // One read transaction, so the numbers agree with each other.
            try connection.execute("BEGIN")
            defer { try? connection.execute("COMMIT") }
            let head = try treeHead()
            // Kept by the appends since schema 5; an older file read-only is counted.
            let streams = try schemaVersion() >= 5
                ? try connection.scalarInt("SELECT streams FROM tree_state WHERE id = 1") ?? 0
                : try connection.scalarInt("SELECT count(*) FROM (SELECT DISTINCT stream FROM events)") ?? 0
            var last: StoredEvent?
            if head.size > 0 {
                do { last = try event(position: head.size) } catch let error as LedgerError where error.code == .eventNotFound {
                    throw LedgerError(.corrupt, "the ledger \(location.path) records \(head.size) events but event \(head.size) is missing; run `remedy verify`")
                }
            }
            return LedgerStatus(
                path: location.path, schemaVersion: try schemaVersion(), eventCount: head.size,
                streamCount: streams, fileSize: (SystemIO.fileSize(atPath: location.path) ?? 0) + (SystemIO.fileSize(atPath: location.path + "-wal") ?? 0),
                treeHead: head, lastEvent: last)
        }
    }
}

extension Ledger {
    /// How many events of each type the ledger holds, most common first.
    ///
    /// - Throws: ``LedgerError``.
    public func eventCountsByType(through position: Int? = nil) throws -> [(type: String, count: Int)] {
        try mapErrors("read") {
            let statement = try connection.prepare("SELECT type, count(*) FROM events WHERE position <= ? GROUP BY type ORDER BY count(*) DESC, type")
            statement.bind(position ?? Int.max, at: 1)
            var counts: [(String, Int)] = []
            while try statement.step() { counts.append((statement.text(0), statement.int(1))) }
            return counts
        }
    }
}
