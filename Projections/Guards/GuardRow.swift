import Events

/// A regression guard (`guards`): a case that became a guard, its state and where it came from.
public struct GuardRow: ReadModelRow {
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

    public var suite: String
    public var caseKey: String
    public var state: GuardState
    public var sinceRun: String
    public var failure: String
    public var fix: String?
    public var slippedFailure: String?
    public var retiredReason: String?
    public var retiredBy: String?
    public var sincePosition: Int
    public var updatedPosition: Int

    public init(suite: String, caseKey: String, state: GuardState, sinceRun: String, failure: String, fix: String?,
                slippedFailure: String? = nil, retiredReason: String? = nil, retiredBy: String? = nil, sincePosition: Int, updatedPosition: Int) {
        self.suite = suite
        self.caseKey = caseKey
        self.state = state
        self.sinceRun = sinceRun
        self.failure = failure
        self.fix = fix
        self.slippedFailure = slippedFailure
        self.retiredReason = retiredReason
        self.retiredBy = retiredBy
        self.sincePosition = sincePosition
        self.updatedPosition = updatedPosition
    }

    public static func key(suite: String, caseKey: String) -> [RowValue] { [.text(suite), .text(caseKey)] }

    public init(values row: [RowValue]) {
        self.init(suite: row[0].text ?? "", caseKey: row[1].text ?? "", state: row[2].word() ?? .holding, sinceRun: row[3].text ?? "",
                  failure: row[4].text ?? "", fix: row[5].text, slippedFailure: row[6].text, retiredReason: row[7].text,
                  retiredBy: row[8].text, sincePosition: row[9].number, updatedPosition: row[10].number)
    }

    public var values: [RowValue] {
        [.text(suite), .text(caseKey), RowValue(state), .text(sinceRun), .text(failure), RowValue(fix), RowValue(slippedFailure),
         RowValue(retiredReason), RowValue(retiredBy), .integer(sincePosition), .integer(updatedPosition)]
    }
}
