import Events

/// Earned autonomy: for each fix origin and lever, the record of its fixes (merged, merged by
/// the gate alone, reverted, regressions of the guards they made), which the gate records as
/// facts and policies may set conditions on.
///
/// ```sql
/// SELECT origin, lever, auto_merges, reverts, regressions FROM autonomy_records;
/// ```
public enum AutonomyRecordProjection: Projection {
    public static let name = "autonomy"
    public static let version = 1
    public static let eventTypes = [
        LoopEventType.fixProposed, .gateDecided, .fixVerified, .fixMerged, .fixReverted, .regressionDetected,
    ].map(\.rawValue)
    public static let tables = [AutonomyRecordRow.table, AutonomyFixRow.table]

    public static func apply(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        var changes = EventWrites(rows)
        func count(fix id: String, _ change: (inout AutonomyRecordRow) -> Void) throws {
            guard let fix = try changes.row(AutonomyFixRow.self, AutonomyFixRow.key(fix: id)) else { return }
            var record = try changes.row(AutonomyRecordRow.self, AutonomyRecordRow.key(origin: fix.origin, lever: fix.lever))
                ?? AutonomyRecordRow(origin: fix.origin, lever: fix.lever)
            change(&record)
            changes.put(record)
        }
        switch event.loopType {
        case .fixProposed:
            let proposal = try event.decode(FixProposed.self)
            guard try changes.row(AutonomyFixRow.self, AutonomyFixRow.key(fix: proposal.fix)) == nil else { break }
            changes.put(AutonomyFixRow(fix: proposal.fix, origin: proposal.origin, lever: proposal.lever))
        case .gateDecided:
            let gate = try event.decode(GateDecided.self)
            guard var fix = try changes.row(AutonomyFixRow.self, AutonomyFixRow.key(fix: gate.fix)) else { break }
            fix.autoMerge = gate.decision == .autoMerge
            changes.put(fix)
        case .fixVerified:
            // A new verification reopens the decision.
            let verified = try event.decode(FixVerified.self)
            guard var fix = try changes.row(AutonomyFixRow.self, AutonomyFixRow.key(fix: verified.fix)), fix.autoMerge else { break }
            fix.autoMerge = false
            changes.put(fix)
        case .fixMerged:
            let merged = try event.decode(FixMerged.self)
            let autoMerge = try changes.row(AutonomyFixRow.self, AutonomyFixRow.key(fix: merged.fix))?.autoMerge ?? false
            try count(fix: merged.fix) { record in
                record.merges += 1
                if autoMerge { record.autoMerges += 1 }
            }
        case .fixReverted:
            try count(fix: try event.decode(FixReverted.self).fix) { $0.reverts += 1 }
        case .regressionDetected:
            if let fix = try event.decode(RegressionDetected.self).guardFix { try count(fix: fix) { $0.regressions += 1 } }
        default:
            break
        }
        return changes.writes
    }
}
