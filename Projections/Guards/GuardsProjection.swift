import Events

/// The regression guards: every case that became a guard, its state and where it came from.
///
/// A failure resolved by a merged fix makes its case a guard (`holding`); a regression of that
/// case makes it `slipped` until the regression is resolved; only a person's retirement makes it
/// `retired`. Guards only grow or tighten on their own.
///
/// ```sql
/// SELECT case_key, state, since_run, fix FROM guards WHERE suite = 'golden' ORDER BY case_key;
/// ```
public enum GuardsProjection: Projection {
    public static let name = "guards"
    public static let version = 2
    public static let eventTypes = [
        LoopEventType.failureResolved.rawValue, LoopEventType.failureDetected.rawValue,
        LoopEventType.guardRetired.rawValue, LoopEventType.caseAliased.rawValue,
    ]

    public static let table = GuardRow.table
    public static let tables = [table]

    public static func apply(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        func existing(_ suite: String, _ key: String) throws -> GuardRow? {
            try rows.row(GuardRow.self, key: GuardRow.key(suite: suite, caseKey: key))
        }
        func changed(_ row: GuardRow, _ change: (inout GuardRow) -> Void) -> RowWrite {
            var updated = row
            change(&updated)
            updated.updatedPosition = event.position
            return .put(updated)
        }

        switch event.loopType {
        case .failureResolved:
            let resolved = try event.decode(FailureResolved.self)
            if resolved.becameGuard {
                return [.put(GuardRow(suite: resolved.suite, caseKey: resolved.case, state: .holding, sinceRun: resolved.runID,
                                      failure: resolved.failure, fix: resolved.fix, sincePosition: event.position, updatedPosition: event.position))]
            }
            if let row = try existing(resolved.suite, resolved.case), row.slippedFailure == resolved.failure {
                return [changed(row) { row in
                    row.state = .holding
                    row.slippedFailure = nil
                }]
            }
        case .failureDetected:
            let detected = try event.decode(FailureDetected.self)
            if detected.kind == .regression, let row = try existing(detected.suite, detected.case), row.state.isActive {
                return [changed(row) { row in
                    row.state = .slipped
                    row.slippedFailure = detected.failure
                }]
            }
        case .guardRetired:
            let retired = try event.decode(GuardRetired.self)
            if let row = try existing(retired.suite, retired.case) {
                return [changed(row) { row in
                    row.state = .retired
                    row.retiredReason = retired.reason
                    row.retiredBy = retired.by
                }]
            }
        case .caseAliased:
            let alias = try event.decode(CaseAliased.self)
            if let row = try existing(alias.suite, alias.from) {
                return [.remove(GuardRow.self, key: row.key), changed(row) { $0.caseKey = alias.to }]
            }
        default:
            break
        }
        return []
    }
}
