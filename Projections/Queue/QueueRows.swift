import Events

/// One open item of the loop's work (`queue`), what `remedy next` lists.
public struct QueueItemRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "queue",
        columns: [
            .init("subject", "TEXT", "the failure or fix the item is about"),
            .init("kind", "TEXT", "regression, diagnose, propose, verify, gate or review"),
            .init("rank", "INTEGER", "0 for regressions (first, always), 1 for the rest"),
            .init("suite", "TEXT", "the suite"),
            .init("case_key", "TEXT", "the failing case (failures only)"),
            .init("action", "TEXT", "what to do, in a sentence"),
            .init("since_position", "INTEGER", "the ledger position the item dates from: smaller is older"),
            .init("since_at", "TEXT", "the time it dates from"),
            .init("skill", "TEXT", "the skill of the failing case (of a fix's first failure), when known"),
        ],
        keyColumns: 1, documentation: "One row per open item of the loop's work.")

    public var subject: String
    public var kind: QueueItemKind
    public var suite: String
    public var caseKey: String?
    public var action: String
    public var sincePosition: Int
    public var sinceAt: String
    public var skill: String?

    /// Regressions come first, always.
    public var rank: Int { kind == .regression ? 0 : 1 }

    public init(subject: String, kind: QueueItemKind, suite: String, caseKey: String?, action: String, sincePosition: Int,
                sinceAt: String, skill: String?) {
        self.subject = subject
        self.kind = kind
        self.suite = suite
        self.caseKey = caseKey
        self.action = action
        self.sincePosition = sincePosition
        self.sinceAt = sinceAt
        self.skill = skill
    }

    public static func key(subject: String) -> [RowValue] { [.text(subject)] }

    public init(values row: [RowValue]) {
        self.init(subject: row[0].text ?? "", kind: row[1].word() ?? .diagnose, suite: row[3].text ?? "", caseKey: row[4].text,
                  action: row[5].text ?? "", sincePosition: row[6].number, sinceAt: row[7].text ?? "", skill: row[8].text)
    }

    public var values: [RowValue] {
        [.text(subject), RowValue(kind), .integer(rank), .text(suite), RowValue(caseKey), .text(action), .integer(sincePosition),
         .text(sinceAt), RowValue(skill)]
    }
}

/// A quarantine in force (`queue_quarantines`); an expired one is a queue item at query time.
public struct QueueQuarantineRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "queue_quarantines",
        columns: [.init("suite", "TEXT", "the suite"), .init("case_key", "TEXT", "the quarantined case"),
                  .init("owner", "TEXT", "who owns it"), .init("until", "TEXT", "when it expires"),
                  .init("since_position", "INTEGER", "where it started"), .init("since_at", "TEXT", "when")],
        keyColumns: 2, documentation: "Quarantines in force; expired ones are queue items at query time.")

    public var suite: String
    public var caseKey: String
    public var owner: String
    public var until: String
    public var sincePosition: Int
    public var sinceAt: String

    public init(suite: String, caseKey: String, owner: String, until: String, sincePosition: Int, sinceAt: String) {
        self.suite = suite
        self.caseKey = caseKey
        self.owner = owner
        self.until = until
        self.sincePosition = sincePosition
        self.sinceAt = sinceAt
    }

    public static func key(suite: String, caseKey: String) -> [RowValue] { [.text(suite), .text(caseKey)] }

    public init(values row: [RowValue]) {
        self.init(suite: row[0].text ?? "", caseKey: row[1].text ?? "", owner: row[2].text ?? "", until: row[3].text ?? "",
                  sincePosition: row[4].number, sinceAt: row[5].text ?? "")
    }

    public var values: [RowValue] {
        [.text(suite), .text(caseKey), .text(owner), .text(until), .integer(sincePosition), .text(sinceAt)]
    }
}

/// Working state of the queue (`queue_failures`): each failure and what it still needs.
public struct QueueFailureRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "queue_failures",
        columns: [.init("failure", "TEXT", "the failure"), .init("suite", "TEXT", "its suite"), .init("case_key", "TEXT", "its case"),
                  .init("kind", "TEXT", "its kind"), .init("run_id", "TEXT", "the run that detected it"),
                  .init("lever", "TEXT", "its latest diagnosed lever"), .init("target", "TEXT", "and target"),
                  .init("open", "INTEGER", "1 until resolved"), .init("live_fixes", "INTEGER", "fixes for it not reverted or rejected"),
                  .init("position", "INTEGER", "where it was detected"), .init("at", "TEXT", "when"),
                  .init("skill", "TEXT", "the failing case's skill, when known")],
        keyColumns: 1, documentation: "Working state: failures.")

    public var failure: String
    public var suite: String
    public var caseKey: String
    public var kind: FailureKind
    public var runID: String
    public var lever: Lever?
    public var target: String?
    public var isOpen = true
    public var liveFixes = 0
    public var position: Int
    public var at: String
    public var skill: String?

    public init(failure: String, suite: String, caseKey: String, kind: FailureKind, runID: String, position: Int, at: String, skill: String?) {
        self.failure = failure
        self.suite = suite
        self.caseKey = caseKey
        self.kind = kind
        self.runID = runID
        self.position = position
        self.at = at
        self.skill = skill
    }

    public static func key(failure: String) -> [RowValue] { [.text(failure)] }

    public init(values row: [RowValue]) {
        self.init(failure: row[0].text ?? "", suite: row[1].text ?? "", caseKey: row[2].text ?? "", kind: row[3].word() ?? .test,
                  runID: row[4].text ?? "", position: row[9].number, at: row[10].text ?? "", skill: row[11].text)
        lever = row[5].word()
        target = row[6].text
        isOpen = row[7].flag
        liveFixes = row[8].number
    }

    public var values: [RowValue] {
        [.text(failure), .text(suite), .text(caseKey), RowValue(kind), .text(runID), RowValue(lever), RowValue(target), RowValue(isOpen),
         .integer(liveFixes), .integer(position), .text(at), RowValue(skill)]
    }
}

/// Working state of the queue (`queue_fixes`): each fix and the step it waits for.
public struct QueueFixRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "queue_fixes",
        columns: [.init("fix", "TEXT", "the fix"), .init("failures", "TEXT", "its failures, newline-separated"),
                  .init("suite", "TEXT", "the suite of its first failure"), .init("verified", "INTEGER", "1 once verified"),
                  .init("decision", "TEXT", "the gate's decision on the latest verification"), .init("rule", "TEXT", "the gate's rule"),
                  .init("reviews", "INTEGER", "reviews since the latest verification"), .init("last_verdict", "TEXT", "the latest review's verdict"),
                  .init("done", "INTEGER", "1 once merged or reverted"), .init("reverted", "INTEGER", "1 once reverted"),
                  .init("live", "INTEGER", "1 while not reverted and not rejected"),
                  .init("position", "INTEGER", "where it last changed"), .init("at", "TEXT", "when"),
                  .init("skill", "TEXT", "the skill of its first failure, when known")],
        keyColumns: 1, documentation: "Working state: fixes.")

    public var fix: String
    public var failures: [String]
    public var suite: String
    public var isVerified = false
    public var decision: GateDecision?
    public var rule: String?
    public var reviews = 0
    public var lastVerdict: ReviewVerdict?
    public var isDone = false
    public var isReverted = false
    public var isLive = false
    public var position: Int
    public var at: String
    public var skill: String?

    public init(fix: String, failures: [String], suite: String, position: Int, at: String, skill: String?) {
        self.fix = fix
        self.failures = failures
        self.suite = suite
        self.position = position
        self.at = at
        self.skill = skill
    }

    public static func key(fix: String) -> [RowValue] { [.text(fix)] }

    public init(values row: [RowValue]) {
        self.init(fix: row[0].text ?? "", failures: row[1].text.map { $0.split(separator: "\n").map(String.init) } ?? [],
                  suite: row[2].text ?? "", position: row[11].number, at: row[12].text ?? "", skill: row[13].text)
        isVerified = row[3].flag
        decision = row[4].word()
        rule = row[5].text
        reviews = row[6].number
        lastVerdict = row[7].word()
        isDone = row[8].flag
        isReverted = row[9].flag
        isLive = row[10].flag
    }

    public var values: [RowValue] {
        [.text(fix), .text(failures.joined(separator: "\n")), .text(suite), RowValue(isVerified), RowValue(decision), RowValue(rule),
         .integer(reviews), RowValue(lastVerdict), RowValue(isDone), RowValue(isReverted), RowValue(isLive), .integer(position), .text(at),
         RowValue(skill)]
    }
}
