import Events

/// A projection that attributes cases to skills by the adopted skill map (``SkillMapAdopted``),
/// over all history: it holds the map in a one-row table of its own, named here.
public protocol SkillAttributing: Projection {
    /// The name of the table that holds the map (`health_skill_map`).
    static var skillMapTable: String { get }
}

/// The skill map a projection folds by (its one-row table, ``SkillAttributing/skillMapTable``):
/// the latest ``SkillMapAdopted`` the fold has met, and where it was adopted.
///
/// The engine folds the latest adoption first (``Projection/retroactiveTypes``), so every
/// case outcome and failure, the oldest included, is attributed by the map in force; the
/// adoption met again in its place, or an older one, changes nothing.
struct HeldSkillMap<Owner: SkillAttributing>: ReadModelRow {
    static var table: ReadModelTable {
        ReadModelTable(name: Owner.skillMapTable,
                       columns: [.init("slot", "INTEGER", "always 1: the table holds one row"),
                                 .init("position", "INTEGER", "where the map was adopted"),
                                 .init("map_sha256", "TEXT", "the SHA-256 of its text"),
                                 .init("rules", "TEXT", "its rules, a line each: glob, a tab, skill")],
                       keyColumns: 1, documentation: "Working state: the adopted skill map cases are attributed by.")
    }

    var position: Int
    var mapSHA256: String
    var map: SkillMap

    static var key: [RowValue] { [.integer(1)] }

    init(position: Int, adopted: SkillMapAdopted) {
        self.position = position
        mapSHA256 = adopted.mapSHA256
        map = adopted.map
    }

    init(values row: [RowValue]) {
        position = row[1].number
        mapSHA256 = row[2].text ?? ""
        map = SkillMap(rules: (row[3].text ?? "").split(separator: "\n").compactMap { line in
            let fields = line.split(separator: "\t", maxSplits: 1)
            return fields.count == 2 ? SkillMap.Rule(pattern: String(fields[0]), skill: String(fields[1])) : nil
        })
    }

    var values: [RowValue] {
        [.integer(1), .integer(position), .text(mapSHA256), .text(map.rules.map { "\($0.pattern)\t\($0.skill)" }.joined(separator: "\n"))]
    }

    /// The row a `SkillMapAdopted` event leaves, or nil when it is not newer than the map held
    /// (the prelude's own event met again in order, or an older adoption).
    static func adopting(_ event: ProjectedEvent, rows: RowReader) throws -> HeldSkillMap? {
        if let held = try rows.row(HeldSkillMap.self, key: key), held.position >= event.position { return nil }
        return HeldSkillMap(position: event.position, adopted: try event.decode(SkillMapAdopted.self))
    }

    /// The skill `caseKey` counts under: the held map's, else the one its event recorded.
    static func skill(of caseKey: String, recorded: String?, rows: RowReader) throws -> String? {
        try rows.row(HeldSkillMap.self, key: key)?.map.skill(for: caseKey) ?? recorded
    }
}
