import Events
import LedgerStore
import Projections

/// The projections remedy keeps, by name.
public enum ReadModels {
    public static let all: [any Projection.Type] = [GuardsProjection.self, RatchetProjection.self, CaseHistoryProjection.self]

    /// A projection by name, for `remedy projections rebuild NAME`.
    public static func named(_ name: String) throws -> any Projection.Type {
        guard let projection = all.first(where: { $0.name == name }) else {
            throw LoopError(.invalidArgument, "no projection '\(name)' (known: \(all.map { $0.name }.joined(separator: ", ")))")
        }
        return projection
    }

    /// Where `--as-of` points: a position, a time (the last event recorded at or before it),
    /// or `run:ID` / `run:SUITE/ID` (the end of that run).
    ///
    /// - Throws: ``LoopError`` when the point names nothing in the ledger.
    public static func position(asOf point: String, in ledger: Ledger) throws -> Int {
        try position(point, in: ledger, runStart: false)
    }

    /// Where `--since` starts: as ``position(asOf:in:)``, except that `run:ID` means the run's
    /// start, so the run's own events count.
    public static func position(since point: String, in ledger: Ledger) throws -> Int {
        try position(point, in: ledger, runStart: true)
    }

    private static func position(_ point: String, in ledger: Ledger, runStart: Bool) throws -> Int {
        if let position = Int(point) {
            guard position >= 0 else { throw LoopError(.invalidArgument, "--as-of \(point): a position is 0 or more") }
            return position
        }
        if point.hasPrefix("run:") {
            let run = String(point.dropFirst(4))
            let state = try LoopState.fold(ledger)
            let matches = state.runs.values.filter { run.contains("/") ? "\($0.started.suite)/\($0.started.runID)" == run : $0.started.runID == run }
            guard !matches.isEmpty else { throw LoopError(.notFound, "--as-of \(point): no run \(run) is recorded") }
            guard matches.count == 1, let end = matches[0].completedPosition else {
                throw LoopError(.invalidArgument, "--as-of \(point): run \(run) is recorded in several suites; write run:SUITE/\(run)")
            }
            return runStart ? matches[0].startedPosition : end
        }
        guard let time = try? Timestamp(parsing: point) else {
            throw LoopError(.invalidArgument, "--as-of \(point): expected a position, an RFC 3339 time or run:ID")
        }
        var query = EventQuery()
        if runStart {
            // Since a time: from the first event recorded at or after it.
            query.since = time
            query.limit = 1
            var first = Int.max
            try ledger.forEachEventBody(query) { position, _ in first = position; return false }
            return first
        }
        query.until = Timestamp(millisecondsSinceEpoch: time.millisecondsSinceEpoch + 1)
        var last = 0
        try ledger.forEachEventBody(query) { position, _ in last = position; return true }
        return last
    }

    /// A projection's rows: caught up in the ledger when it can be written, folded in memory
    /// when it cannot or when `asOf` asks for the past.
    ///
    /// - Throws: ``LedgerError`` or ``LoopError``.
    ///   `keyPrefix` keeps only rows whose leading key columns equal it.
    public static func rows(_ projection: any Projection.Type, table: ReadModelTable, ledger: Ledger, asOf: Int? = nil,
                            keyPrefix: [RowValue] = []) throws -> [[RowValue]] {
        if asOf == nil && ledger.mode == .readWrite {
            try ledger.catchUp(projection)
            return try ledger.rows(of: table, keyPrefix: keyPrefix)
        }
        return try ledger.projectInMemory(projection, through: asOf).rows(table.name).filter { $0.starts(with: keyPrefix) }
    }
}
