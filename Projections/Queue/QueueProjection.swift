import Events

/// The queue behind `remedy next`: what the loop must do now, one row per open item, with the
/// position and time it dates from (its age).
///
/// Items: an open failure with no live fix (one not reverted and not rejected) asks for a
/// `regression` diagnosis (a guard failed), a `diagnose` or a `propose`; a live fix not merged
/// asks to `verify`, then `gate`, then (unless the gate auto-merged) `review`, then `merge`
/// until its merge is recorded. An item's skill is the adopted skill map's (``SkillMapAdopted``,
/// over all history), else the one its failure recorded. Quarantines are
/// kept here too; whether one has expired depends on the clock, so the query decides.
///
/// ```sql
/// SELECT kind, subject, action, since_at FROM queue ORDER BY rank, since_position, subject;
/// ```
public enum QueueProjection: SkillAttributing {
    public static let name = "queue"
    public static let version = 4
    public static let eventTypes = [
        LoopEventType.failureDetected, .diagnosisRecorded, .failureResolved, .fixProposed, .fixVerified, .gateDecided,
        .reviewRecorded, .fixMerged, .fixReverted, .quarantineStarted, .quarantineEnded, .skillMapAdopted,
    ].map(\.rawValue)
    public static let retroactiveTypes = [LoopEventType.skillMapAdopted.rawValue]
    public static let skillMapTable = "queue_skill_map"

    public static let queue = QueueItemRow.table
    public static let quarantines = QueueQuarantineRow.table
    public static let tables = [QueueItemRow.table, QueueQuarantineRow.table, QueueFailureRow.table, QueueFixRow.table,
                                HeldSkillMap<QueueProjection>.table]

    public static func apply(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        var changes = EventWrites(rows)
        switch event.loopType {
        case .failureDetected:
            let detected = try event.decode(FailureDetected.self)
            // A failure id is detected once; a repeat (a hand-written batch) changes nothing.
            guard try changes.row(QueueFailureRow.self, QueueFailureRow.key(failure: detected.failure)) == nil else { break }
            changes.put(QueueFailureRow(failure: detected.failure, suite: detected.suite, caseKey: detected.case, kind: detected.kind,
                                        runID: detected.runID, position: event.position, at: event.recordedAt,
                                        skill: try HeldSkillMap<Self>.skill(of: detected.case, recorded: detected.skill, rows: changes)))
            try refreshFailure(detected.failure, &changes)
        case .diagnosisRecorded:
            let diagnosis = try event.decode(DiagnosisRecorded.self)
            try update(failure: diagnosis.failure, &changes) { row in
                row.lever = diagnosis.lever
                row.target = diagnosis.target
            }
            try refreshFailure(diagnosis.failure, &changes)
        case .failureResolved:
            let resolved = try event.decode(FailureResolved.self)
            try update(failure: resolved.failure, &changes) { $0.isOpen = false }
            try refreshFailure(resolved.failure, &changes)
        case .fixProposed:
            let proposal = try event.decode(FixProposed.self)
            // A fix id is proposed once (remedy propose refuses a second); a repeat changes nothing.
            guard try changes.row(QueueFixRow.self, QueueFixRow.key(fix: proposal.fix)) == nil else { break }
            let known = try proposal.failures.compactMap { try changes.row(QueueFailureRow.self, QueueFailureRow.key(failure: $0)) }
            changes.put(QueueFixRow(fix: proposal.fix, failures: known.map(\.failure), suite: known.first?.suite ?? "",
                                    position: event.position, at: event.recordedAt, skill: known.first?.skill))
            try refreshFix(proposal.fix, &changes)
        case .fixVerified:
            let verification = try event.decode(FixVerified.self)
            // A new verification supersedes what was decided on the old one.
            try touchFix(verification.fix, event, &changes) { row in
                row.isVerified = true
                row.decision = nil
                row.rule = nil
                row.reviews = 0
                row.lastVerdict = nil
            }
        case .gateDecided:
            let gate = try event.decode(GateDecided.self)
            try touchFix(gate.fix, event, &changes) { row in
                row.decision = gate.decision
                row.rule = gate.rule
            }
        case .reviewRecorded:
            let review = try event.decode(ReviewRecorded.self)
            try touchFix(review.fix, event, &changes) { row in
                row.reviews += 1
                row.lastVerdict = review.verdict
            }
        case .fixMerged:
            let merged = try event.decode(FixMerged.self)
            try touchFix(merged.fix, event, &changes) { $0.isDone = true }
        case .fixReverted:
            let reverted = try event.decode(FixReverted.self)
            try touchFix(reverted.fix, event, &changes) { row in
                row.isDone = true
                row.isReverted = true
            }
        case .quarantineStarted:
            let quarantine = try event.decode(QuarantineStarted.self)
            changes.put(QueueQuarantineRow(suite: quarantine.suite, caseKey: quarantine.case, owner: quarantine.owner, until: quarantine.until,
                                           sincePosition: event.position, sinceAt: event.recordedAt))
        case .quarantineEnded:
            let ended = try event.decode(QuarantineEnded.self)
            changes.remove(QueueQuarantineRow.self, QueueQuarantineRow.key(suite: ended.suite, caseKey: ended.case))
        case .skillMapAdopted:
            if let held = try HeldSkillMap<Self>.adopting(event, rows: changes) { changes.put(held) }
        default:
            break
        }
        return changes.writes
    }

    private static func update(failure id: String, _ changes: inout EventWrites, _ change: (inout QueueFailureRow) -> Void) throws {
        guard var row = try changes.row(QueueFailureRow.self, QueueFailureRow.key(failure: id)) else { return }
        change(&row)
        changes.put(row)
    }

    /// Changes a fix (dating it from this event), then its liveness for its failures, then the items.
    private static func touchFix(_ id: String, _ event: ProjectedEvent, _ changes: inout EventWrites, _ change: (inout QueueFixRow) -> Void) throws {
        guard var row = try changes.row(QueueFixRow.self, QueueFixRow.key(fix: id)) else { return }
        change(&row)
        row.position = event.position
        row.at = event.recordedAt
        changes.put(row)
        try refreshFix(id, &changes)
    }

    /// Recomputes a fix's liveness (telling its failures when it changes) and its queue item.
    private static func refreshFix(_ id: String, _ changes: inout EventWrites) throws {
        guard var fix = try changes.row(QueueFixRow.self, QueueFixRow.key(fix: id)) else { return }
        let live = !fix.isReverted && fix.lastVerdict != .reject
        if live != fix.isLive {
            fix.isLive = live
            changes.put(fix)
            for failure in fix.failures {
                try update(failure: failure, &changes) { $0.liveFixes += live ? 1 : -1 }
                try refreshFailure(failure, &changes)
            }
        }
        let item: (kind: QueueItemKind, action: String)?
        if !live || fix.isDone {
            item = nil
        } else if !fix.isVerified {
            item = (.verify, "verify over the whole golden dataset and every guard (remedy ingest ... --verifies \(id))")
        } else if let decision = fix.decision {
            // Decided or approved, it is not done until the merge is recorded.
            item = decision == .autoMerge || fix.lastVerdict == .approve
                ? (.merge, "merge pending: the \(decision == .autoMerge ? "gate decided auto-merge" : "fix was approved"); record it with remedy merged \(id) --commit SHA")
                : (.review, "a person reviews it: the gate said \(decision) (\(fix.rule ?? ""))")
        } else {
            item = (.gate, "decide: remedy gate \(id)")
        }
        guard let item else { return changes.remove(QueueItemRow.self, QueueItemRow.key(subject: id)) }
        changes.put(QueueItemRow(subject: id, kind: item.kind, suite: fix.suite, caseKey: nil, action: item.action,
                                 sincePosition: fix.position, sinceAt: fix.at, skill: fix.skill))
    }

    /// Recomputes a failure's queue item.
    private static func refreshFailure(_ id: String, _ changes: inout EventWrites) throws {
        guard let failure = try changes.row(QueueFailureRow.self, QueueFailureRow.key(failure: id)) else { return }
        guard failure.isOpen, failure.liveFixes == 0 else { return changes.remove(QueueItemRow.self, QueueItemRow.key(subject: id)) }
        let item: (kind: QueueItemKind, action: String)
        if failure.kind == .regression {
            item = (.regression, "the guard \(failure.caseKey) failed in run \(failure.runID): diagnose it")
        } else if let lever = failure.lever {
            item = (.propose, "propose a \(lever) fix for \(failure.target ?? "")")
        } else {
            item = (.diagnose, "diagnose: which lever (\(Lever.allCases.map(\.rawValue).joined(separator: ", "))) fixes \(failure.caseKey)?")
        }
        changes.put(QueueItemRow(subject: id, kind: item.kind, suite: failure.suite, caseKey: failure.caseKey, action: item.action,
                                 sincePosition: failure.position, sinceAt: failure.at, skill: failure.skill))
    }
}
