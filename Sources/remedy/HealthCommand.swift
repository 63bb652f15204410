import ArgumentParser
import Events
import Projections
import ReadViews
import RemediationLoop

extension Remedy {
    /// `remedy health`: per-skill health, its status and the rule that decided it.
    struct Health: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "health",
            abstract: "Show per-skill health: pass rate and trend, failures by lever, fixes, guards, time to fix, and a status with its rule.")

        @OptionGroup var options: LedgerOptions
        @Option(help: "Only this skill, with its levers and targets.") var skill: String?
        @Flag(help: "Print the health as JSON.") var json = false
        @OptionGroup var asOf: AsOfOption

        func run() throws {
            try reportingErrors {
                let ledger = try options.openForReadModels()
                let view = ReadModelView(ledger: ledger, asOf: try asOf.position(in: ledger))
                let skills = try SkillHealth.read(from: view, skill: skill)
                let output = StandardOutput.shared
                if json {
                    try JSONOutput.print(Output(skills: skills.map(SkillOutput.init),
                                                diagnosisAccuracy: DiagnosisAccuracy.of(skills.flatMap(\.levers)).map(AccuracyOutput.init)))
                } else if skills.isEmpty {
                    output.writeLine("no skills yet: ingest a run first")
                } else if skill != nil, let health = skills.first {
                    Self.detail(health, output)
                } else {
                    output.writeLine("SKILL".padding(26) + "STATUS".padding(10) + "PASS".padding(8) + "TREND".padding(7) + "CASES".padding(7)
                                     + "OPEN".padding(6) + "GUARDS".padding(8) + "FIXED".padding(7) + "TTF p50".padding(10) + "RULE")
                    for health in skills {
                        let row = health.row
                        let figures = (row.passRate ?? "").padding(8) + (row.trend?.rawValue ?? "").padding(7) + String(row.cases).padding(7)
                            + String(row.openFailures).padding(6) + String(row.guards).padding(8) + String(row.fixesMerged).padding(7)
                        let timeToFix = (health.timeToFixMedian.map { humanDuration(milliseconds: $0) } ?? "-").padding(10)
                        output.writeLine(health.skill.padding(26) + health.status.rawValue.padding(10) + figures + timeToFix + health.rule)
                    }
                }
                output.flush()
            }
        }

        /// `--json`: `{"skills":[...], "diagnosis_accuracy":[...]}`: one object per skill, and
        /// each lever's diagnosis accuracy over the skills shown.
        struct Output: Encodable {
            var skills: [SkillOutput]
            var diagnosisAccuracy: [AccuracyOutput]
        }

        /// One lever's diagnosis accuracy: `rate` is accurate / judged, `null` before any.
        struct AccuracyOutput: Encodable {
            var lever: Lever
            var judged: Int
            var accurate: Int
            @NullEncoded var rate: Double?

            init(_ accuracy: DiagnosisAccuracy) {
                lever = accuracy.lever
                judged = accuracy.judged
                accurate = accuracy.accurate
                rate = JSONOutput.number(accuracy.rate)
            }
        }

        /// One skill: its `skill_health` columns (rates as numbers, `null` before any run),
        /// time to fix, the lever accuracy and the share of fixes that failed verification.
        struct SkillOutput: Encodable {
            var skill: String
            var status: HealthStatus
            var rule: String
            var cases: Int
            var runs: Int
            /// Passed and ran of each of the last runs, oldest first.
            var recent: [SkillHealthRow.RunTally]
            @NullEncoded var passRate: Double?
            @NullEncoded var lastRunRate: Double?
            @NullEncoded var trend: SkillHealthRow.Trend?
            var failures: Int
            var openFailures: Int
            var regressions: Int
            var openRegressions: Int
            var diagnosedCode: Int
            var diagnosedThreshold: Int
            var diagnosedSkill: Int
            var fixesProposed: Int
            var fixesVerified: Int
            var fixesFailedVerification: Int
            var fixesMerged: Int
            var fixesRejected: Int
            var fixesReverted: Int
            var guards: Int
            var resolved: Int
            var leverResolved: Int
            var leverMatched: Int
            var timeToFixMs: TimeToFix
            @NullEncoded var leverAccuracy: Double?
            @NullEncoded var failedVerificationShare: Double?
            var diagnosisAccuracy: [AccuracyOutput]
            var levers: [LeverOutput]

            struct TimeToFix: Encodable {
                @NullEncoded var median: Int?
                @NullEncoded var p90: Int?
                var guardsTimed: Int
            }

            struct LeverOutput: Encodable {
                var lever: Lever
                var target: String
                var diagnosed: Int
                var fixesProposed: Int
                var fixesMerged: Int
                var resolved: Int
                var judged: Int
                var accurate: Int
            }

            init(_ health: SkillHealth) {
                let row = health.row
                skill = row.skill
                status = row.status
                rule = row.rule
                cases = row.cases
                runs = row.runs
                recent = row.recent
                passRate = JSONOutput.number(row.passRate)
                lastRunRate = JSONOutput.number(row.lastRunRate)
                trend = row.trend
                failures = row.failures
                openFailures = row.openFailures
                regressions = row.regressions
                openRegressions = row.openRegressions
                diagnosedCode = row.diagnosedCode
                diagnosedThreshold = row.diagnosedThreshold
                diagnosedSkill = row.diagnosedSkill
                fixesProposed = row.fixesProposed
                fixesVerified = row.fixesVerified
                fixesFailedVerification = row.fixesFailedVerification
                fixesMerged = row.fixesMerged
                fixesRejected = row.fixesRejected
                fixesReverted = row.fixesReverted
                guards = row.guards
                resolved = row.resolved
                leverResolved = row.leverResolved
                leverMatched = row.leverMatched
                timeToFixMs = TimeToFix(median: health.timeToFixMedian, p90: health.timeToFixP90, guardsTimed: health.timesToFix)
                leverAccuracy = JSONOutput.number(health.leverAccuracy)
                failedVerificationShare = JSONOutput.number(health.failedVerificationShare)
                diagnosisAccuracy = health.diagnosisAccuracy.map(AccuracyOutput.init)
                levers = health.levers.map {
                    LeverOutput(lever: $0.lever, target: $0.target, diagnosed: $0.diagnosed, fixesProposed: $0.fixesProposed,
                                fixesMerged: $0.fixesMerged, resolved: $0.resolved, judged: $0.judged, accurate: $0.accurate)
                }
            }
        }

        static func detail(_ health: SkillHealth, _ output: StandardOutput) {
            let row = health.row
            var pairs: [(String, String)] = [
                ("skill", row.skill), ("status", row.status.rawValue), ("rule", row.rule), ("cases", String(row.cases)), ("runs", String(row.runs)),
                ("recent", row.recent.map(\.description).joined(separator: " ")), ("pass rate", row.passRate ?? "-"), ("last run rate", row.lastRunRate ?? "-"),
                ("trend", row.trend?.rawValue ?? "-"), ("failures", String(row.failures)), ("open failures", String(row.openFailures)),
                ("regressions", String(row.regressions)), ("open regressions", String(row.openRegressions)),
            ]
            pairs += Lever.allCases.map { ("diagnosed \($0)", String(row[diagnosed: $0])) }
            pairs += [
                ("fixes proposed", String(row.fixesProposed)), ("fixes verified", String(row.fixesVerified)),
                ("fixes failed verification", String(row.fixesFailedVerification)), ("fixes merged", String(row.fixesMerged)),
                ("fixes rejected", String(row.fixesRejected)), ("fixes reverted", String(row.fixesReverted)), ("guards", String(row.guards)),
                ("resolved", String(row.resolved)), ("lever resolved", String(row.leverResolved)), ("lever matched", String(row.leverMatched)),
            ]
            pairs.append(("time to fix", health.timeToFixMedian.map { "median \(humanDuration(milliseconds: $0)), p90 \(humanDuration(milliseconds: health.timeToFixP90 ?? $0)) over \(health.timesToFix) guards" } ?? "-"))
            pairs.append(("lever accuracy", health.leverAccuracy ?? "-"))
            for accuracy in health.diagnosisAccuracy where accuracy.judged > 0 {
                pairs.append(("\(accuracy.lever) diagnoses", "\(accuracy.accurate) of \(accuracy.judged) proved right (\(accuracy.rate ?? "-"))"))
            }
            pairs.append(("failed verification", health.failedVerificationShare ?? "-"))
            output.write(Table.keyValue(pairs))
            guard !health.levers.isEmpty else { return }
            output.writeLine("")
            output.writeLine("LEVER".padding(11) + "TARGET".padding(30) + "DIAGNOSED".padding(11) + "PROPOSED".padding(10) + "MERGED".padding(8) + "RESOLVED")
            for lever in health.levers {
                output.writeLine(lever.lever.rawValue.padding(11) + lever.target.padding(30) + String(lever.diagnosed).padding(11)
                                 + String(lever.fixesProposed).padding(10) + String(lever.fixesMerged).padding(8) + String(lever.resolved))
            }
        }
    }
}
