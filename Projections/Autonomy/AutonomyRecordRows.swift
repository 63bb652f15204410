import Events

/// The record a kind of fix has earned (`autonomy_records`): by origin (agent or human) and
/// lever, how many of its fixes merged, how many merged themselves (the gate's auto-merge),
/// how many were reverted, and how many regressions broke guards they made. The gate reads it
/// as facts, so a policy can let autonomy be earned and lost.
public struct AutonomyRecordRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "autonomy_records",
        columns: [
            .init("origin", "TEXT", "agent or human"),
            .init("lever", "TEXT", "code, threshold or skill"),
            .init("merges", "INTEGER", "fixes merged"),
            .init("auto_merges", "INTEGER", "of them, merged on the gate's auto-merge"),
            .init("reverts", "INTEGER", "merged fixes reverted"),
            .init("regressions", "INTEGER", "regressions of guards its fixes made"),
        ],
        keyColumns: 2, documentation: "One row per fix origin and lever: the record the gate reads.")

    public var origin: FixOrigin
    public var lever: Lever
    public var merges = 0
    public var autoMerges = 0
    public var reverts = 0
    public var regressions = 0

    public init(origin: FixOrigin, lever: Lever) {
        self.origin = origin
        self.lever = lever
    }

    public static func key(origin: FixOrigin, lever: Lever) -> [RowValue] { [RowValue(origin), RowValue(lever)] }

    public init(values row: [RowValue]) {
        self.init(origin: row[0].word() ?? .agent, lever: row[1].word() ?? .code)
        merges = row[2].number
        autoMerges = row[3].number
        reverts = row[4].number
        regressions = row[5].number
    }

    public var values: [RowValue] {
        [RowValue(origin), RowValue(lever), .integer(merges), .integer(autoMerges), .integer(reverts), .integer(regressions)]
    }
}

/// Working state of the record (`autonomy_fixes`): each fix's origin and lever, and whether
/// the gate's last decision for it was auto-merge.
public struct AutonomyFixRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "autonomy_fixes",
        columns: [.init("fix", "TEXT", "the fix id"), .init("origin", "TEXT", "agent or human"), .init("lever", "TEXT", "its lever"),
                  .init("auto_merge", "INTEGER", "1 when the gate's last decision was auto-merge")],
        keyColumns: 1, documentation: "Each fix's origin, lever and last gate decision.")

    public var fix: String
    public var origin: FixOrigin
    public var lever: Lever
    public var autoMerge = false

    public init(fix: String, origin: FixOrigin, lever: Lever) {
        self.fix = fix
        self.origin = origin
        self.lever = lever
    }

    public static func key(fix: String) -> [RowValue] { [.text(fix)] }

    public init(values row: [RowValue]) {
        self.init(fix: row[0].text ?? "", origin: row[1].word() ?? .agent, lever: row[2].word() ?? .code)
        autoMerge = row[3].flag
    }

    public var values: [RowValue] { [.text(fix), RowValue(origin), RowValue(lever), RowValue(autoMerge)] }
}
