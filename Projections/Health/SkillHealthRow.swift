import Events

/// One skill's health (`skill_health`): how it is doing, what the loop did about its failures,
/// and a status with the rule that decided it.
public struct SkillHealthRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "skill_health",
        columns: [
            .init("skill", "TEXT", "the skill (unmapped for cases without one)"),
            .init("status", "TEXT", "healthy, degraded or failing"),
            .init("rule", "TEXT", "the rule that decided the status, with the figures"),
            .init("cases", "INTEGER", "cases of the skill in its last run"),
            .init("runs", "INTEGER", "regular runs that ran the skill"),
            .init("recent", "TEXT", "passed/ran of its last runs, oldest first, space-separated"),
            .init("pass_rate", "TEXT", "passed / ran over those runs, four decimals"),
            .init("last_run_rate", "TEXT", "passed / ran in its last run"),
            .init("trend", "TEXT", "up, down or flat: the last run against the window"),
            .init("failures", "INTEGER", "failures detected"),
            .init("open_failures", "INTEGER", "failures not resolved"),
            .init("regressions", "INTEGER", "regressions detected (guards that failed)"),
            .init("open_regressions", "INTEGER", "regressions not resolved"),
            .init("diagnosed_code", "INTEGER", "failures whose latest diagnosis names the code lever"),
            .init("diagnosed_threshold", "INTEGER", "... the threshold lever"),
            .init("diagnosed_skill", "INTEGER", "... the skill lever"),
            .init("fixes_proposed", "INTEGER", "fixes proposed for its failures"),
            .init("fixes_verified", "INTEGER", "of those, verified at least once"),
            .init("fixes_failed_verification", "INTEGER", "of those, with a verification that was not clean"),
            .init("fixes_merged", "INTEGER", "fixes merged"),
            .init("fixes_rejected", "INTEGER", "fixes a reviewer rejected"),
            .init("fixes_reverted", "INTEGER", "fixes reverted"),
            .init("guards", "INTEGER", "regression guards not retired"),
            .init("resolved", "INTEGER", "failures resolved"),
            .init("lever_resolved", "INTEGER", "failures resolved by a fix after a diagnosis"),
            .init("lever_matched", "INTEGER", "of those, where the fix pulled the diagnosed lever"),
        ],
        keyColumns: 1, documentation: "One row per skill.")

    /// The direction of the last run against the window.
    /// How many cases of the skill one run ran, and how many of those passed.
    public struct RunTally: Sendable, Equatable, Encodable, CustomStringConvertible {
        public var passed: Int
        public var ran: Int

        public init(passed: Int, ran: Int) {
            self.passed = passed
            self.ran = ran
        }

        /// The tallies of their stored form, `passed/ran` space-separated; a word of another
        /// form is left out. Read byte by byte, when a run completes.
        ///
        /// ```swift
        /// RunTally.list("9/10 10/10") // [9/10, 10/10]
        /// ```
        static func list(_ text: String) -> [RunTally] {
            var tallies: [RunTally] = []
            var text = text
            text.withUTF8 { bytes in
                var start = 0
                while start < bytes.count {
                    var end = start
                    while end < bytes.count && bytes[end] != UInt8(ascii: " ") { end += 1 }
                    if let tally = tally(bytes[start..<end]) { tallies.append(tally) }
                    start = end + 1
                }
            }
            return tallies
        }

        /// The tally of one word: two runs of digits between slashes (`9/10`), else nil.
        private static func tally(_ word: Slice<UnsafeBufferPointer<UInt8>>) -> RunTally? {
            var parts: (Slice<UnsafeBufferPointer<UInt8>>?, Slice<UnsafeBufferPointer<UInt8>>?)
            var start = word.startIndex
            while start < word.endIndex {
                var end = start
                while end < word.endIndex && word[end] != UInt8(ascii: "/") { end += 1 }
                if end > start {
                    if parts.0 == nil { parts.0 = word[start..<end] } else if parts.1 == nil { parts.1 = word[start..<end] } else { return nil }
                }
                start = end + 1
            }
            guard let first = parts.0, let second = parts.1, let passed = integer(first), let ran = integer(second) else { return nil }
            return RunTally(passed: passed, ran: ran)
        }

        /// The tallies' stored form: `passed/ran`, space-separated.
        static func text(_ tallies: [RunTally]) -> String {
            tallies.map(\.description).joined(separator: " ")
        }

        /// Decimal digits, perhaps signed, as `Int(_:)` reads them; nil for anything else.
        private static func integer(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Int? {
            var digits = bytes
            let negative = digits.first == UInt8(ascii: "-")
            if negative || digits.first == UInt8(ascii: "+") { digits = digits.dropFirst() }
            guard !digits.isEmpty else { return nil }
            var value = 0
            for byte in digits {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                let (scaled, overflow) = value.multipliedReportingOverflow(by: 10)
                let (sum, carry) = scaled.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
                guard !overflow, !carry else { return nil }
                value = sum
            }
            return negative ? -value : value
        }

        /// `passed/ran`, as stored and printed.
        public var description: String { "\(passed)/\(ran)" }
    }

    public enum Trend: String, VocabularyWord {
        case up, down, flat
        public static let setName = "trend"
    }

    public var skill: String
    public var status: HealthStatus = .healthy
    public var rule = ""
    public var cases = 0
    public var runs = 0
    /// Passed and ran of the last runs, oldest first (stored as `passed/ran`, space-separated).
    ///
    /// Kept as stored and read only when asked: a fold reads the row back and writes it out
    /// again for every failure and fix of the skill, and only a completed run changes these.
    public var recent: [RunTally] {
        get { RunTally.list(recentText) }
        set { recentText = RunTally.text(newValue) }
    }
    private var recentText = ""
    /// Over ``recent``, four decimals; nil before any run.
    public var passRate: String?
    public var lastRunRate: String?
    /// nil until the skill has two runs.
    public var trend: Trend?
    public var failures = 0
    public var openFailures = 0
    public var regressions = 0
    public var openRegressions = 0
    public var diagnosedCode = 0
    public var diagnosedThreshold = 0
    public var diagnosedSkill = 0
    public var fixesProposed = 0
    public var fixesVerified = 0
    public var fixesFailedVerification = 0
    public var fixesMerged = 0
    public var fixesRejected = 0
    public var fixesReverted = 0
    public var guards = 0
    public var resolved = 0
    public var leverResolved = 0
    public var leverMatched = 0

    public init(skill: String) {
        self.skill = skill
    }

    public static func key(skill: String) -> [RowValue] { [.text(skill)] }

    /// Failures whose latest diagnosis names `lever`.
    public subscript(diagnosed lever: Lever) -> Int {
        get {
            switch lever {
            case .code: diagnosedCode
            case .threshold: diagnosedThreshold
            case .skill: diagnosedSkill
            }
        }
        set {
            switch lever {
            case .code: diagnosedCode = newValue
            case .threshold: diagnosedThreshold = newValue
            case .skill: diagnosedSkill = newValue
            }
        }
    }

    public init(values row: [RowValue]) {
        skill = row[0].text ?? ""
        status = row[1].word() ?? .healthy
        rule = row[2].text ?? ""
        cases = row[3].number
        runs = row[4].number
        recentText = row[5].text ?? ""
        passRate = Self.optional(row[6])
        lastRunRate = Self.optional(row[7])
        trend = row[8].word()
        failures = row[9].number
        openFailures = row[10].number
        regressions = row[11].number
        openRegressions = row[12].number
        diagnosedCode = row[13].number
        diagnosedThreshold = row[14].number
        diagnosedSkill = row[15].number
        fixesProposed = row[16].number
        fixesVerified = row[17].number
        fixesFailedVerification = row[18].number
        fixesMerged = row[19].number
        fixesRejected = row[20].number
        fixesReverted = row[21].number
        guards = row[22].number
        resolved = row[23].number
        leverResolved = row[24].number
        leverMatched = row[25].number
    }

    public var values: [RowValue] {
        [.text(skill), RowValue(status), .text(rule), .integer(cases), .integer(runs), .text(recentText),
         .text(passRate ?? ""), .text(lastRunRate ?? ""), .text(trend?.rawValue ?? ""),
         .integer(failures), .integer(openFailures), .integer(regressions), .integer(openRegressions),
         .integer(diagnosedCode), .integer(diagnosedThreshold), .integer(diagnosedSkill),
         .integer(fixesProposed), .integer(fixesVerified), .integer(fixesFailedVerification), .integer(fixesMerged),
         .integer(fixesRejected), .integer(fixesReverted), .integer(guards), .integer(resolved), .integer(leverResolved),
         .integer(leverMatched)]
    }

    /// Rates and trends are stored as text, empty when there is none yet.
    private static func optional(_ value: RowValue) -> String? {
        value.text.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// Per skill, lever and target (`skill_levers`): diagnoses, fixes and resolutions.
public struct SkillLeverRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "skill_levers",
        columns: [
            .init("skill", "TEXT", "the skill"), .init("lever", "TEXT", "code, threshold or skill"),
            .init("target", "TEXT", "what the lever acts on (a module, a threshold, a skill file)"),
            .init("diagnosed", "INTEGER", "failures whose latest diagnosis names this lever and target"),
            .init("fixes_proposed", "INTEGER", "fixes proposed that pull it"), .init("fixes_merged", "INTEGER", "of those, merged"),
            .init("resolved", "INTEGER", "failures diagnosed so, resolved"),
            .init("judged", "INTEGER", "failures diagnosed so and resolved by a fix: diagnoses the outcome judged"),
            .init("accurate", "INTEGER", "of those, resolved by a fix pulling the diagnosed lever and not reverted"),
        ],
        keyColumns: 3, documentation: "Per skill, lever and target.")

    public var skill: String
    public var lever: Lever
    /// "" when the fix named none.
    public var target: String
    public var diagnosed = 0
    public var fixesProposed = 0
    public var fixesMerged = 0
    public var resolved = 0
    public var judged = 0
    public var accurate = 0

    public init(skill: String, lever: Lever, target: String) {
        self.skill = skill
        self.lever = lever
        self.target = target
    }

    public static func key(skill: String, lever: Lever, target: String) -> [RowValue] { [.text(skill), RowValue(lever), .text(target)] }

    public init(values row: [RowValue]) {
        self.init(skill: row[0].text ?? "", lever: row[1].word() ?? .code, target: row[2].text ?? "")
        diagnosed = row[3].number
        fixesProposed = row[4].number
        fixesMerged = row[5].number
        resolved = row[6].number
        judged = row[7].number
        accurate = row[8].number
    }

    public var values: [RowValue] {
        [.text(skill), RowValue(lever), .text(target), .integer(diagnosed), .integer(fixesProposed), .integer(fixesMerged), .integer(resolved),
         .integer(judged), .integer(accurate)]
    }
}

/// Time to fix (`skill_fix_times`): from a failure's detection to its case becoming a guard.
public struct SkillFixTimeRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "skill_fix_times",
        columns: [
            .init("skill", "TEXT", "the skill"), .init("failure", "TEXT", "the failure that became a guard"),
            .init("detected_position", "INTEGER", "where it was detected"), .init("guarded_position", "INTEGER", "where its case became a guard"),
            .init("milliseconds", "INTEGER", "recorded time from detection to guard"),
        ],
        keyColumns: 2, appendOnly: true, positionColumn: "guarded_position", documentation: "Time to fix: from a failure's detection to its case becoming a guard.")

    public var skill: String
    public var failure: String
    public var detectedPosition: Int
    public var guardedPosition: Int
    public var milliseconds: Int

    public init(skill: String, failure: String, detectedPosition: Int, guardedPosition: Int, milliseconds: Int) {
        self.skill = skill
        self.failure = failure
        self.detectedPosition = detectedPosition
        self.guardedPosition = guardedPosition
        self.milliseconds = milliseconds
    }

    public init(values row: [RowValue]) {
        self.init(skill: row[0].text ?? "", failure: row[1].text ?? "", detectedPosition: row[2].number, guardedPosition: row[3].number,
                  milliseconds: row[4].number)
    }

    public var values: [RowValue] {
        [.text(skill), .text(failure), .integer(detectedPosition), .integer(guardedPosition), .integer(milliseconds)]
    }
}

/// Per regular run and skill (`skill_runs`), cases run and passed: the skill's history over time.
public struct SkillRunRow: ReadModelRow {
    public static let table = ReadModelTable(
        name: "skill_runs",
        columns: [
            .init("position", "INTEGER", "where the run completed"), .init("skill", "TEXT", "the skill"),
            .init("suite", "TEXT", "the run's suite"), .init("run_id", "TEXT", "the run"),
            .init("completed_at", "TEXT", "when it completed"),
            .init("ran", "INTEGER", "cases of the skill it ran"), .init("passed", "INTEGER", "of those, passed"),
        ],
        keyColumns: 2, indexes: [["skill", "position"]], appendOnly: true, positionColumn: "position",
        documentation: "Per regular run and skill, cases run and passed: the skill's history over time.")

    public var position: Int
    public var skill: String
    public var suite: String
    public var runID: String
    public var completedAt: String
    public var ran: Int
    public var passed: Int

    public init(position: Int, skill: String, suite: String, runID: String, completedAt: String, ran: Int, passed: Int) {
        self.position = position
        self.skill = skill
        self.suite = suite
        self.runID = runID
        self.completedAt = completedAt
        self.ran = ran
        self.passed = passed
    }

    public init(values row: [RowValue]) {
        self.init(position: row[0].number, skill: row[1].text ?? "", suite: row[2].text ?? "", runID: row[3].text ?? "",
                  completedAt: row[4].text ?? "", ran: row[5].number, passed: row[6].number)
    }

    public var values: [RowValue] {
        [.integer(position), .text(skill), .text(suite), .text(runID), .text(completedAt), .integer(ran), .integer(passed)]
    }
}
