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

    public static let table = ReadModelTable(
        name: "guards",
        columns: [
            .init("suite", "TEXT", "the suite"),
            .init("case_key", "TEXT", "the guarded case"),
            .init("state", "TEXT", "holding, slipped (a regression is open) or retired"),
            .init("since_run", "TEXT", "the run in which the case passed after its fix merged"),
            .init("failure", "TEXT", "the failure whose fix made it a guard"),
            .init("fix", "TEXT", "that fix (NULL if none was recorded)"),
            .init("slipped_failure", "TEXT", "the open regression, when slipped"),
            .init("retired_reason", "TEXT", "why a person retired it"),
            .init("retired_by", "TEXT", "who retired it"),
            .init("since_position", "INTEGER", "the ledger position where it became a guard"),
            .init("updated_position", "INTEGER", "the ledger position of its last change"),
        ],
        keyColumns: 2,
        documentation: "One row per regression guard.")

    public static let tables = [table]

    private enum Column: Int {
        case suite, caseKey, state, sinceRun, failure, fix, slippedFailure, retiredReason, retiredBy, sincePosition, updatedPosition
    }

    public static func apply(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        func existing(_ suite: String, _ key: String) throws -> [RowValue]? {
            try rows.row(table.name, key: [.text(suite), .text(key)])
        }
        func set(_ row: [RowValue], _ changes: [(Column, RowValue)]) -> RowWrite {
            var updated = row
            for (column, value) in changes { updated[column.rawValue] = value }
            updated[Column.updatedPosition.rawValue] = .integer(event.position)
            return .upsert(table: table.name, row: updated)
        }
        func text(_ value: String?) -> RowValue { value.map { .text($0) } ?? .null }

        switch LoopEventType(rawValue: event.type) {
        case .failureResolved:
            let resolved = try event.decode(FailureResolved.self)
            if resolved.becameGuard {
                return [.upsert(table: table.name, row: [
                    .text(resolved.suite), .text(resolved.case), .text("holding"), .text(resolved.runID), .text(resolved.failure),
                    text(resolved.fix), .null, .null, .null, .integer(event.position), .integer(event.position),
                ])]
            }
            if let row = try existing(resolved.suite, resolved.case), row[Column.slippedFailure.rawValue] == .text(resolved.failure) {
                return [set(row, [(.state, .text("holding")), (.slippedFailure, .null)])]
            }
        case .failureDetected:
            let detected = try event.decode(FailureDetected.self)
            if detected.kind == "regression", let row = try existing(detected.suite, detected.case),
               row[Column.state.rawValue] != .text("retired") {
                return [set(row, [(.state, .text("slipped")), (.slippedFailure, .text(detected.failure))])]
            }
        case .guardRetired:
            let retired = try event.decode(GuardRetired.self)
            if let row = try existing(retired.suite, retired.case) {
                return [set(row, [(.state, .text("retired")), (.retiredReason, .text(retired.reason)), (.retiredBy, .text(retired.by))])]
            }
        case .caseAliased:
            let alias = try event.decode(CaseAliased.self)
            if let row = try existing(alias.suite, alias.from) {
                return [.delete(table: table.name, key: [.text(alias.suite), .text(alias.from)]),
                        set(row, [(.caseKey, .text(alias.to))])]
            }
        default:
            break
        }
        return []
    }
}
