import Events

/// Working state of the skill health (`health_runs`): runs in progress and the skills they ran.
struct HealthRunRow: ReadModelRow {
    static let table = ReadModelTable(
        name: "health_runs",
        columns: [.init("stream", "TEXT", "the run's stream"), .init("suite", "TEXT", "its suite"), .init("run_id", "TEXT", "the run"),
                  .init("verifies", "TEXT", "the fix it verifies, if any"),
                  .init("skills", "TEXT", "the skills it ran so far, newline-separated")],
        keyColumns: 1, documentation: "Working state: runs in progress.")

    var stream: String
    var suite: String
    var runID: String
    var verifies: String?
    /// Kept as stored: the outcome fold reads this row for every outcome, and splits it never.
    private var skillsText = ""

    init(stream: String, suite: String, runID: String, verifies: String?) {
        self.stream = stream
        self.suite = suite
        self.runID = runID
        self.verifies = verifies
    }

    static func key(stream: String) -> [RowValue] { [.text(stream)] }

    /// The skills the run ran so far, in the order first seen.
    var skills: [String] { skillsText.isEmpty ? [] : skillsText.split(separator: "\n").map(String.init) }

    mutating func add(skill: String) {
        skillsText = skillsText.isEmpty ? skill : skillsText + "\n" + skill
    }

    init(values row: [RowValue]) {
        self.init(stream: row[0].text ?? "", suite: row[1].text ?? "", runID: row[2].text ?? "", verifies: row[3].text)
        skillsText = row[4].text ?? ""
    }

    var values: [RowValue] { [.text(stream), .text(suite), .text(runID), RowValue(verifies), .text(skillsText)] }
}

/// Working state (`health_tallies`): per run in progress and skill, cases run and passed.
struct HealthTallyRow: ReadModelRow {
    static let table = ReadModelTable(
        name: "health_tallies",
        columns: [.init("stream", "TEXT", "the run's stream"), .init("skill", "TEXT", "the skill"),
                  .init("ran", "INTEGER", "cases run"), .init("passed", "INTEGER", "cases passed")],
        keyColumns: 2, documentation: "Working state: per run in progress and skill, cases run and passed.")

    var stream: String
    var skill: String
    var ran = 0
    var passed = 0

    init(stream: String, skill: String) {
        self.stream = stream
        self.skill = skill
    }

    static func key(stream: String, skill: String) -> [RowValue] { [.text(stream), .text(skill)] }

    init(values row: [RowValue]) {
        self.init(stream: row[0].text ?? "", skill: row[1].text ?? "")
        ran = row[2].number
        passed = row[3].number
    }

    var values: [RowValue] { [.text(stream), .text(skill), .integer(ran), .integer(passed)] }
}

/// Working state (`health_cases`): each case's last run and result, so a case counts once per
/// run, and the skill it counts under (resolved once per recorded skill, not once per outcome).
struct HealthCaseRow: ReadModelRow {
    static let table = ReadModelTable(
        name: "health_cases",
        columns: [.init("suite", "TEXT", "the suite"), .init("case_key", "TEXT", "the case"),
                  .init("stream", "TEXT", "the last run that ran it"), .init("result", "TEXT", "its last attempt's result there"),
                  .init("recorded", "TEXT", "the skill its last outcome recorded, if any"),
                  .init("skill", "TEXT", "the skill it counts under: the adopted map's, else the recorded one, else unmapped")],
        keyColumns: 2, documentation: "Working state: each case's last run and result, so a case counts once per run.")

    var suite: String
    var caseKey: String
    var stream: String
    var result: CaseStatus
    var recorded: String?
    var skill: String

    init(suite: String, caseKey: String, stream: String, result: CaseStatus, recorded: String?, skill: String) {
        self.suite = suite
        self.caseKey = caseKey
        self.stream = stream
        self.result = result
        self.recorded = recorded
        self.skill = skill
    }

    static func key(suite: String, caseKey: String) -> [RowValue] { [.text(suite), .text(caseKey)] }

    init(values row: [RowValue]) {
        self.init(suite: row[0].text ?? "", caseKey: row[1].text ?? "", stream: row[2].text ?? "", result: row[3].word() ?? .skip,
                  recorded: row[4].text, skill: row[5].text ?? "")
    }

    var values: [RowValue] { [.text(suite), .text(caseKey), .text(stream), RowValue(result), RowValue(recorded), .text(skill)] }
}

/// Working state (`health_failures`): failures, their skill and latest diagnosis.
struct HealthFailureRow: ReadModelRow {
    static let table = ReadModelTable(
        name: "health_failures",
        columns: [.init("failure", "TEXT", "the failure"), .init("skill", "TEXT", "its skill"), .init("kind", "TEXT", "its kind"),
                  .init("detected_at", "TEXT", "when it was detected"), .init("detected_position", "INTEGER", "where"),
                  .init("lever", "TEXT", "its latest diagnosed lever"), .init("target", "TEXT", "and target"),
                  .init("open", "INTEGER", "1 until resolved")],
        keyColumns: 1, documentation: "Working state: failures.")

    var failure: String
    var skill: String
    var kind: FailureKind
    var detectedAt: String
    var detectedPosition: Int
    var lever: Lever?
    var target: String?
    var isOpen = true

    init(failure: String, skill: String, kind: FailureKind, detectedAt: String, detectedPosition: Int) {
        self.failure = failure
        self.skill = skill
        self.kind = kind
        self.detectedAt = detectedAt
        self.detectedPosition = detectedPosition
    }

    static func key(failure: String) -> [RowValue] { [.text(failure)] }

    init(values row: [RowValue]) {
        self.init(failure: row[0].text ?? "", skill: row[1].text ?? "", kind: row[2].word() ?? .test, detectedAt: row[3].text ?? "",
                  detectedPosition: row[4].number)
        lever = row[5].word()
        target = row[6].text
        isOpen = row[7].flag
    }

    var values: [RowValue] {
        [.text(failure), .text(skill), RowValue(kind), .text(detectedAt), .integer(detectedPosition), RowValue(lever), RowValue(target),
         RowValue(isOpen)]
    }
}

/// Working state (`health_fixes`): fixes, the skills of their failures, and what befell them.
struct HealthFixRow: ReadModelRow {
    static let table = ReadModelTable(
        name: "health_fixes",
        columns: [.init("fix", "TEXT", "the fix"), .init("lever", "TEXT", "its lever"), .init("target", "TEXT", "its target"),
                  .init("skills", "TEXT", "the skills of its failures, newline-separated"),
                  .init("verified", "INTEGER", "1 once verified"), .init("failed_verification", "INTEGER", "1 once a verification was not clean"),
                  .init("rejected", "INTEGER", "1 once rejected"),
                  .init("credited", "TEXT", "the diagnoses it proved accurate (skill, lever, target; tab-separated, a line each)")],
        keyColumns: 1, documentation: "Working state: fixes.")

    var fix: String
    var lever: Lever
    /// "" when the proposal named none.
    var target: String
    var skills: [String]
    var isVerified = false
    var failedVerification = false
    var isRejected = false
    /// The diagnoses this fix proved accurate, taken back if it is reverted.
    var credited: [String] = []

    init(fix: String, lever: Lever, target: String, skills: [String]) {
        self.fix = fix
        self.lever = lever
        self.target = target
        self.skills = skills
    }

    static func key(fix: String) -> [RowValue] { [.text(fix)] }

    init(values row: [RowValue]) {
        self.init(fix: row[0].text ?? "", lever: row[1].word() ?? .code, target: row[2].text ?? "",
                  skills: row[3].text.map { $0.isEmpty ? [] : $0.split(separator: "\n").map(String.init) } ?? [])
        isVerified = row[4].flag
        failedVerification = row[5].flag
        isRejected = row[6].flag
        credited = row[7].text.map { $0.isEmpty ? [] : $0.split(separator: "\n").map(String.init) } ?? []
    }

    var values: [RowValue] {
        [.text(fix), RowValue(lever), .text(target), .text(skills.joined(separator: "\n")), RowValue(isVerified),
         RowValue(failedVerification), RowValue(isRejected), .text(credited.joined(separator: "\n"))]
    }
}

/// Working state (`health_guards`): guards and the skill each counts under.
struct HealthGuardRow: ReadModelRow {
    static let table = ReadModelTable(
        name: "health_guards",
        columns: [.init("suite", "TEXT", "the suite"), .init("case_key", "TEXT", "the guarded case"),
                  .init("skill", "TEXT", "its skill"), .init("retired", "INTEGER", "1 once retired")],
        keyColumns: 2, documentation: "Working state: guards and their skills.")

    var suite: String
    var caseKey: String
    var skill: String
    var isRetired = false

    init(suite: String, caseKey: String, skill: String) {
        self.suite = suite
        self.caseKey = caseKey
        self.skill = skill
    }

    static func key(suite: String, caseKey: String) -> [RowValue] { [.text(suite), .text(caseKey)] }

    init(values row: [RowValue]) {
        self.init(suite: row[0].text ?? "", caseKey: row[1].text ?? "", skill: row[2].text ?? "")
        isRetired = row[3].flag
    }

    var values: [RowValue] { [.text(suite), .text(caseKey), .text(skill), RowValue(isRetired)] }
}
