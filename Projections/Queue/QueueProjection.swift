import Events

/// The queue behind `remedy next`: what the loop must do now, one row per open item, with the
/// position and time it dates from (its age).
///
/// Items: an open failure with no live fix (one not reverted and not rejected) asks for a
/// `regression` diagnosis (a guard failed), a `diagnose` or a `propose`; a live fix not merged
/// asks to `verify`, then `gate`, then (unless the gate auto-merged) `review`. Quarantines are
/// kept here too; whether one has expired depends on the clock, so the query decides.
///
/// ```sql
/// SELECT kind, subject, action, since_at FROM queue ORDER BY rank, since_position, subject;
/// ```
public enum QueueProjection: Projection {
    public static let name = "queue"
    public static let version = 1
    public static let eventTypes = [
        LoopEventType.failureDetected, .diagnosisRecorded, .failureResolved, .fixProposed, .fixVerified, .gateDecided,
        .reviewRecorded, .fixMerged, .fixReverted, .quarantineStarted, .quarantineEnded,
    ].map(\.rawValue)

    public static let queue = ReadModelTable(
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
        ],
        keyColumns: 1, documentation: "One row per open item of the loop's work.")

    public static let quarantines = ReadModelTable(
        name: "queue_quarantines",
        columns: [.init("suite", "TEXT", "the suite"), .init("case_key", "TEXT", "the quarantined case"),
                  .init("owner", "TEXT", "who owns it"), .init("until", "TEXT", "when it expires"),
                  .init("since_position", "INTEGER", "where it started"), .init("since_at", "TEXT", "when")],
        keyColumns: 2, documentation: "Quarantines in force; expired ones are queue items at query time.")

    static let failures = ReadModelTable(
        name: "queue_failures",
        columns: [.init("failure", "TEXT", "the failure"), .init("suite", "TEXT", "its suite"), .init("case_key", "TEXT", "its case"),
                  .init("kind", "TEXT", "its kind"), .init("run_id", "TEXT", "the run that detected it"),
                  .init("lever", "TEXT", "its latest diagnosed lever"), .init("target", "TEXT", "and target"),
                  .init("open", "INTEGER", "1 until resolved"), .init("live_fixes", "INTEGER", "fixes for it not reverted or rejected"),
                  .init("position", "INTEGER", "where it was detected"), .init("at", "TEXT", "when")],
        keyColumns: 1, documentation: "Working state: failures.")

    static let fixes = ReadModelTable(
        name: "queue_fixes",
        columns: [.init("fix", "TEXT", "the fix"), .init("failures", "TEXT", "its failures, newline-separated"),
                  .init("suite", "TEXT", "the suite of its first failure"), .init("verified", "INTEGER", "1 once verified"),
                  .init("decision", "TEXT", "the gate's decision on the latest verification"), .init("rule", "TEXT", "the gate's rule"),
                  .init("reviews", "INTEGER", "reviews since the latest verification"), .init("last_verdict", "TEXT", "the latest review's verdict"),
                  .init("done", "INTEGER", "1 once merged or reverted"), .init("reverted", "INTEGER", "1 once reverted"),
                  .init("live", "INTEGER", "1 while not reverted and not rejected"),
                  .init("position", "INTEGER", "where it last changed"), .init("at", "TEXT", "when")],
        keyColumns: 1, documentation: "Working state: fixes.")

    public static let tables = [queue, quarantines, failures, fixes]

    private enum F: Int { case failure, suite, key, kind, runID, lever, target, open, liveFixes, position, at }
    private enum X: Int { case fix, failures, suite, verified, decision, rule, reviews, lastVerdict, done, reverted, live, position, at }

    public static func apply(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        var changes = EventWrites(rows)
        switch LoopEventType(rawValue: event.type) {
        case .failureDetected:
            let detected = try event.decode(FailureDetected.self)
            // A failure id is detected once; a repeat (a hand-written batch) changes nothing.
            guard try changes.row(failures, [.text(detected.failure)]) == nil else { break }
            changes.put(failures, [.text(detected.failure), .text(detected.suite), .text(detected.case), .text(detected.kind),
                                   .text(detected.runID), .null, .null, .integer(1), .integer(0), .integer(event.position), .text(event.recordedAt)])
            try refreshFailure(detected.failure, &changes)
        case .diagnosisRecorded:
            let diagnosis = try event.decode(DiagnosisRecorded.self)
            try update(failures, diagnosis.failure, &changes) { row in
                row[F.lever.rawValue] = .text(diagnosis.lever)
                row[F.target.rawValue] = .text(diagnosis.target)
            }
            try refreshFailure(diagnosis.failure, &changes)
        case .failureResolved:
            let resolved = try event.decode(FailureResolved.self)
            try update(failures, resolved.failure, &changes) { $0[F.open.rawValue] = .integer(0) }
            try refreshFailure(resolved.failure, &changes)
        case .fixProposed:
            let proposal = try event.decode(FixProposed.self)
            // A fix id is proposed once (remedy propose refuses a second); a repeat changes nothing.
            guard try changes.row(fixes, [.text(proposal.fix)]) == nil else { break }
            let known = try proposal.failures.filter { try changes.row(failures, [.text($0)]) != nil }
            let suite = try known.first.flatMap { try changes.row(failures, [.text($0)])?[F.suite.rawValue] } ?? .text("")
            changes.put(fixes, [.text(proposal.fix), .text(known.joined(separator: "\n")), suite, .integer(0), .null, .null,
                                .integer(0), .null, .integer(0), .integer(0), .integer(0), .integer(event.position), .text(event.recordedAt)])
            try refreshFix(proposal.fix, &changes)
        case .fixVerified:
            let verification = try event.decode(FixVerified.self)
            // A new verification supersedes what was decided on the old one.
            try touchFix(verification.fix, event, &changes) { row in
                row[X.verified.rawValue] = .integer(1)
                row[X.decision.rawValue] = .null
                row[X.rule.rawValue] = .null
                row[X.reviews.rawValue] = .integer(0)
                row[X.lastVerdict.rawValue] = .null
            }
        case .gateDecided:
            let gate = try event.decode(GateDecided.self)
            try touchFix(gate.fix, event, &changes) { row in
                row[X.decision.rawValue] = .text(gate.decision)
                row[X.rule.rawValue] = .text(gate.rule)
            }
        case .reviewRecorded:
            let review = try event.decode(ReviewRecorded.self)
            try touchFix(review.fix, event, &changes) { row in
                row[X.reviews.rawValue] = .integer(row[X.reviews.rawValue].number + 1)
                row[X.lastVerdict.rawValue] = .text(review.verdict)
            }
        case .fixMerged:
            let merged = try event.decode(FixMerged.self)
            try touchFix(merged.fix, event, &changes) { $0[X.done.rawValue] = .integer(1) }
        case .fixReverted:
            let reverted = try event.decode(FixReverted.self)
            try touchFix(reverted.fix, event, &changes) { row in
                row[X.done.rawValue] = .integer(1)
                row[X.reverted.rawValue] = .integer(1)
            }
        case .quarantineStarted:
            let quarantine = try event.decode(QuarantineStarted.self)
            changes.put(quarantines, [.text(quarantine.suite), .text(quarantine.case), .text(quarantine.owner), .text(quarantine.until),
                                      .integer(event.position), .text(event.recordedAt)])
        case .quarantineEnded:
            let ended = try event.decode(QuarantineEnded.self)
            changes.remove(quarantines, [.text(ended.suite), .text(ended.case)])
        default:
            break
        }
        return changes.writes
    }

    private static func update(_ table: ReadModelTable, _ id: String, _ changes: inout EventWrites, _ change: (inout [RowValue]) -> Void) throws {
        guard var row = try changes.row(table, [.text(id)]) else { return }
        change(&row)
        changes.put(table, row)
    }

    /// Changes a fix (dating it from this event), then its liveness for its failures, then the items.
    private static func touchFix(_ id: String, _ event: ProjectedEvent, _ changes: inout EventWrites, _ change: (inout [RowValue]) -> Void) throws {
        try update(fixes, id, &changes) { row in
            change(&row)
            row[X.position.rawValue] = .integer(event.position)
            row[X.at.rawValue] = .text(event.recordedAt)
        }
        try refreshFix(id, &changes)
    }

    /// Recomputes a fix's liveness (telling its failures when it changes) and its queue item.
    private static func refreshFix(_ id: String, _ changes: inout EventWrites) throws {
        guard var fix = try changes.row(fixes, [.text(id)]) else { return }
        let live = fix[X.reverted.rawValue].number == 0 && fix[X.lastVerdict.rawValue] != .text("reject")
        let failureIDs = fix[X.failures.rawValue].text.map { $0.split(separator: "\n").map(String.init) } ?? []
        if live != (fix[X.live.rawValue].number == 1) {
            fix[X.live.rawValue] = .integer(live ? 1 : 0)
            changes.put(fixes, fix)
            for failure in failureIDs {
                try update(failures, failure, &changes) { $0[F.liveFixes.rawValue] = .integer($0[F.liveFixes.rawValue].number + (live ? 1 : -1)) }
                try refreshFailure(failure, &changes)
            }
        }
        let item: (kind: String, action: String)?
        if !live || fix[X.done.rawValue].number == 1 {
            item = nil
        } else if fix[X.verified.rawValue].number == 0 {
            item = ("verify", "verify over the whole golden dataset and every guard (remedy ingest ... --verifies \(id))")
        } else if case .text(let decision) = fix[X.decision.rawValue] {
            item = decision != "auto-merge" && fix[X.reviews.rawValue].number == 0
                ? ("review", "a person reviews it: the gate said \(decision) (\(fix[X.rule.rawValue]))") : nil
        } else {
            item = ("gate", "decide: remedy gate \(id)")
        }
        guard let item else { return changes.remove(queue, [.text(id)]) }
        changes.put(queue, [.text(id), .text(item.kind), .integer(1), fix[X.suite.rawValue], .null, .text(item.action),
                            fix[X.position.rawValue], fix[X.at.rawValue]])
    }

    /// Recomputes a failure's queue item.
    private static func refreshFailure(_ id: String, _ changes: inout EventWrites) throws {
        guard let failure = try changes.row(failures, [.text(id)]) else { return }
        guard failure[F.open.rawValue].number == 1, failure[F.liveFixes.rawValue].number == 0,
              case .text(let key) = failure[F.key.rawValue] else { return changes.remove(queue, [.text(id)]) }
        let item: (kind: String, action: String)
        if failure[F.kind.rawValue] == .text("regression") {
            item = ("regression", "the guard \(key) failed in run \(failure[F.runID.rawValue]): diagnose it")
        } else if case .text(let lever) = failure[F.lever.rawValue] {
            item = ("propose", "propose a \(lever) fix for \(failure[F.target.rawValue])")
        } else {
            item = ("diagnose", "diagnose: which lever (code, threshold, skill) fixes \(key)?")
        }
        changes.put(queue, [.text(id), .text(item.kind), .integer(item.kind == "regression" ? 0 : 1), failure[F.suite.rawValue],
                            failure[F.key.rawValue], .text(item.action), failure[F.position.rawValue], failure[F.at.rawValue]])
    }

}
