import Events
import LedgerStore
import Projections
import RemediationLoop

/// One thing the loop must do now.
public struct QueueItem: Sendable, Equatable {
    public typealias Kind = QueueItemKind

    public var kind: Kind
    /// The failure or fix id (or the case key, for a quarantine).
    public var subject: String
    public var suite: String
    public var `case`: String?
    /// The skill of the failing case (of a fix's first failure), when known.
    public var skill: String?
    /// What to do, in a sentence.
    public var action: String
    /// The cases a verification run must include: the golden dataset and every guard.
    public var mustInclude: [String] = []
    /// The ledger position the item dates from: smaller is older.
    public var since: Int
    /// The time it dates from (RFC 3339).
    public var sinceAt: String = ""
    /// Regular runs of its suite started since it appeared: waiting counted in runs.
    public var ageRuns = 0
    /// Time since it appeared, by the clock ``NextQueue/items(_:now:)`` was given.
    public var ageMilliseconds = 0
}

/// What `remedy next` lists, from the queue read model: the loop's work, regressions first,
/// then oldest first.
public enum NextQueue {
    /// Which items to list: of one suite, of one skill (a failure's case's, a fix's first
    /// failure's), at most so many.
    public struct Filter: Sendable, Equatable {
        public var suite: String?
        public var skill: String?
        public var limit: Int?

        public init(suite: String? = nil, skill: String? = nil, limit: Int? = nil) {
            self.suite = suite
            self.skill = skill
            self.limit = limit
        }
    }

    /// The queue as a view sees it, with `now` deciding which quarantines have expired.
    ///
    /// - Throws: ``LedgerError`` or ``LoopError``.
    public static func items(_ view: ReadModelView, now: Timestamp) throws -> [QueueItem] {
        try page(view, now: now).items
    }

    /// The items a filter selects, in queue order, and how many it selects before its limit.
    ///
    /// - Throws: ``LedgerError`` or ``LoopError``.
    public static func page(_ view: ReadModelView, now: Timestamp, filter: Filter = Filter()) throws -> (items: [QueueItem], total: Int) {
        var items: [QueueItem] = []
        let bySuite: [(column: String, value: RowValue)] = filter.suite.map { [("suite", .text($0))] } ?? []
        // A guard failing under a quarantine in force is not queued until the quarantine lapses.
        let quarantines = try view.rows(QueueQuarantineRow.self, matching: bySuite)
        let inForce = Set(quarantines.filter { row in (try? Timestamp(parsing: row.until)).map { $0 >= now } ?? false }
            .map { SuiteCase(suite: $0.suite, key: $0.caseKey) })
        for row in try view.rows(QueueItemRow.self, matching: bySuite) where filter.skill == nil || row.skill == filter.skill {
            if row.kind == .regression, let key = row.caseKey, inForce.contains(SuiteCase(suite: row.suite, key: key)) { continue }
            items.append(QueueItem(kind: row.kind, subject: row.subject, suite: row.suite, case: row.caseKey, skill: row.skill,
                                   action: row.action, since: row.sincePosition, sinceAt: row.sinceAt))
        }
        if filter.skill == nil {
            for row in quarantines {
                guard let expiry = try? Timestamp(parsing: row.until), expiry < now else { continue }
                items.append(QueueItem(kind: .quarantineExpired, subject: row.caseKey, suite: row.suite, case: row.caseKey,
                                       action: "the quarantine owned by \(row.owner) expired on \(row.until): fix, extend or end it",
                                       since: row.sincePosition, sinceAt: row.sinceAt))
            }
        }
        items.sort { ($0.kind == .regression ? 0 : 1, $0.since, $0.subject) < ($1.kind == .regression ? 0 : 1, $1.since, $1.subject) }
        let total = items.count
        if let limit = filter.limit { items = Array(items.prefix(max(0, limit))) }
        // Ages: in runs of the item's suite started after it appeared, and in time; and what a
        // verification must include, for the items listed only.
        let starts = Dictionary(grouping: try view.rows(RatchetRunRow.self), by: \.suite).mapValues { rows in rows.map(\.startedPosition) }
        for index in items.indices {
            items[index].ageRuns = (starts[items[index].suite] ?? []).filter { $0 > items[index].since }.count
            items[index].ageMilliseconds = now.milliseconds(since: items[index].sinceAt) ?? 0
            if items[index].kind == .verify { items[index].mustInclude = try mustInclude(suite: items[index].suite, view: view) }
        }
        return (items, total)
    }

    /// The cases a verification run of a suite must include: its golden dataset (declared, else
    /// its last complete regular run) and its guards not retired, as of the view's point.
    ///
    /// Read from the dataset's and the run's own streams (an index lookup each), not a fold.
    public static func mustInclude(suite: String, view: ReadModelView) throws -> [String] {
        let ledger = view.ledger
        var cases = Set(try view.rows(GuardRow.self, matching: [("suite", .text(suite))]).filter(\.state.isActive).map(\.caseKey))
        var query = EventQuery()
        query.toPosition = view.asOf
        var declared: DatasetDeclared?, pending: DatasetDeclared?
        if let stream = try? LoopStreams.dataset(suite: suite) {
            query.streams = [stream]
            for event in try ledger.events(query) where event.type == LoopEventType.datasetDeclared.rawValue {
                let dataset = try event.body.withUnsafeBytes { body -> DatasetDeclared? in
                    guard let payload = EventEnvelope.payloadBytes(of: body) else { return nil }
                    return try LoopPayload.decode(DatasetDeclared.self, from: payload)
                }
                if let dataset, let complete = DatasetDeclared.assemble(dataset, pending: &pending) { declared = complete }
            }
        }
        if let declared {
            cases.formUnion(declared.cases)
        } else if let lastRun = try view.rows(RatchetRunRow.self, matching: [("suite", .text(suite))]).last?.runID {
            query.streams = [try LoopStreams.run(suite: suite, run: lastRun)]
            query.types = [LoopEventType.caseOutcomeRecorded.rawValue]
            try ledger.forEachEvent(query) { _, _, _, body in
                if let payload = EventEnvelope.payloadBytes(of: body) {
                    let outcome = try CaseOutcomeRecorded.summary(from: payload)
                    if outcome.status != .skip { cases.insert(outcome.case) }
                }
                return true
            }
        }
        return cases.sorted()
    }
}

