import Events
import LedgerStore
import Projections
import RemediationLoop

/// The projections remedy keeps, by name.
public enum ReadModels {
    public static var all: [any Projection.Type] { [GuardsProjection.self, RatchetProjection.self, CaseHistoryProjection.self, SkillHealthProjection.self, QueueProjection.self, RegressionsProjection.self, AutonomyRecordProjection.self] }

    /// The read models, and the loop's working set (``LoopWorkingSet``), which decisions
    /// catch up themselves.
    public static var maintained: [any Projection.Type] { all + [LoopWorkingSet.self] }

    /// A projection by name, for `remedy projections rebuild NAME`.
    public static func named(_ name: String) throws -> any Projection.Type {
        guard let projection = maintained.first(where: { $0.name == name }) else {
            throw LoopError(.invalidArgument, "no projection '\(name)' (known: \(maintained.map { $0.name }.joined(separator: ", ")))")
        }
        return projection
    }

    /// Where `--as-of` points: a position, a time (the last event recorded at or before it),
    /// or `run:ID` / `run:SUITE/ID` (the end of that run, found by its stream `run-SUITE/ID`,
    /// as `remedy ingest` names it).
    ///
    /// - Throws: ``LoopError`` when the point names nothing in the ledger.
    public static func position(asOf point: String, in ledger: any EventStore) throws -> Int {
        try position(point, in: ledger, runStart: false)
    }

    /// Where `--since` starts: as ``position(asOf:in:)``, except that `run:ID` means the run's
    /// start, so the run's own events count.
    public static func position(since point: String, in ledger: any EventStore) throws -> Int {
        try position(point, in: ledger, runStart: true)
    }

    /// The suite a run was recorded in, found by its stream `run-SUITE/ID`: for commands that
    /// take a run id and an optional `--suite`.
    ///
    /// - Throws: ``LoopError``: `.notFound` for no such run, `.invalidArgument` when the id is
    ///   a run of several suites.
    public static func suite(ofRun run: String, in ledger: any EventStore) throws -> String {
        let suites = try ledger.streamNames(category: "run").filter { $0.hasSuffix("/\(run)") }
            .map { String($0.dropFirst("run-".count).dropLast(run.count + 1)) }
        guard let suite = suites.first else { throw LoopError(.notFound, "no run \(run) is recorded") }
        guard suites.count == 1 else {
            throw LoopError(.invalidArgument, "run \(run) is recorded in several suites (\(suites.joined(separator: ", "))); pass --suite")
        }
        return suite
    }

    private static func position(_ point: String, in ledger: any EventStore, runStart: Bool) throws -> Int {
        if let position = Int(point) {
            guard position >= 0 else { throw LoopError(.invalidArgument, "--as-of \(point): a position is 0 or more") }
            return position
        }
        if point.hasPrefix("run:") {
            let run = String(point.dropFirst(4))
            // Runs are streams named run-SUITE/ID: found through the stream index, not a fold.
            let streams = try ledger.streamNames(category: "run").filter { run.contains("/") ? $0 == "run-\(run)" : $0.hasSuffix("/\(run)") }
            guard !streams.isEmpty else { throw LoopError(.notFound, "--as-of \(point): no run \(run) is recorded") }
            guard streams.count == 1 else {
                throw LoopError(.invalidArgument, "--as-of \(point): run \(run) is recorded in several suites; write run:SUITE/\(run)")
            }
            guard let extent = try ledger.extent(of: streams[0]) else { throw LoopError(.notFound, "--as-of \(point): no run \(run) is recorded") }
            if runStart { return extent.firstPosition }
            guard extent.lastType == LoopEventType.evalRunCompleted.rawValue else {
                throw LoopError(.invalidArgument, "--as-of \(point): run \(run) has not completed")
            }
            return extent.lastPosition
        }
        guard let time = try? Timestamp(parsing: point) else {
            throw LoopError(.invalidArgument, "--as-of \(point): expected a position, an RFC 3339 time or run:ID")
        }
        if runStart {
            // Since a time: from the first event recorded at or after it.
            let first = try ledger.firstPosition(recordedAtOrAfter: time)
            return first > (try ledger.treeHead().size) ? Int.max : first
        }
        // As of a time: the last event recorded at or before it.
        return try ledger.firstPosition(recordedAtOrAfter: Timestamp(millisecondsSinceEpoch: time.millisecondsSinceEpoch + 1)) - 1
    }
}

/// The read models as of one point: the live tables, caught up once, or (for the past, or a
/// ledger opened read-only) the projections a query reads folded in memory, each once.
public final class ReadModelView {
    public let ledger: any EventStore
    /// The position asked for; nil for now.
    public let asOf: Int?
    private var memory: [String: MemoryRows] = [:]
    private var caughtUp = false

    /// Whether a read-only ledger's tables reflect every event (asked once).
    private lazy var storedTablesAreCurrent: Bool = {
        guard let head = try? ledger.treeHead().size else { return false }
        return (try? ledger.readModelsReflect(ReadModels.all, position: head)) ?? false
    }()

    public init(ledger: any EventStore, asOf: Int? = nil) {
        self.ledger = ledger
        self.asOf = asOf
    }

    /// Whether this view answers from the live tables.
    public var isLive: Bool { asOf == nil && ledger.isWritable }

    /// A table's rows, sorted by key; only those whose columns hold the values in `filter`.
    ///
    /// A ledger that cannot be written (another user's, a read-only copy) is answered from its
    /// tables when they reflect every event, and otherwise from the events folded in memory.
    ///
    /// - Throws: ``LedgerError`` or ``LoopError``.
    public func rows(_ table: ReadModelTable, matching filter: [(column: String, value: RowValue)] = []) throws -> [[RowValue]] {
        if isLive {
            if !caughtUp {
                // Everything catches up together: one pass over the new events serves every view.
                try ledger.catchUp(ReadModels.all)
                caughtUp = true
            }
            return try ledger.rows(of: table, matching: filter)
        }
        if asOf == nil, storedTablesAreCurrent {
            return try ledger.rows(of: table, matching: filter)
        }
        guard let projection = ReadModels.all.first(where: { $0.tables.contains { $0.name == table.name } }) else {
            throw LoopError(.invalidArgument, "no read model owns a table named \(table.name)")
        }
        // A log as of a point is its live rows up to there, when the live table reaches it.
        let logsAreLive = try asOf.map { try ledger.liveLogsReach(projection, through: $0) } ?? false
        if logsAreLive, table.appendOnly, let asOf, let rows = try ledger.logRows(of: table, in: projection, matching: filter, through: asOf) {
            return rows
        }
        if memory[projection.name] == nil {
            memory[projection.name] = try ledger.projectInMemory([projection], through: asOf, logs: !logsAreLive)[0]
        }
        return memory[projection.name]!.rows(table, matching: filter)
    }

    /// A typed table's rows, sorted by key; only those whose columns hold the values in `filter`.
    ///
    /// - Throws: ``LedgerError`` or ``LoopError``.
    public func rows<Row: ReadModelRow>(_: Row.Type, matching filter: [(column: String, value: RowValue)] = []) throws -> [Row] {
        try rows(Row.table, matching: filter).map(Row.init(values:))
    }
}
