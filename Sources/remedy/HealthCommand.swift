import ArgumentParser
import Projections
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
                    output.writeLine(JSONText.object([("skills", .array(skills.map(Self.json)))]))
                } else if skills.isEmpty {
                    output.writeLine("no skills yet: ingest a run first")
                } else if skill != nil, let health = skills.first {
                    Self.detail(health, output)
                } else {
                    output.writeLine("SKILL".padding(26) + "STATUS".padding(10) + "PASS".padding(8) + "TREND".padding(7) + "CASES".padding(7)
                                     + "OPEN".padding(6) + "GUARDS".padding(8) + "FIXED".padding(7) + "TTF p50".padding(10) + "RULE")
                    for health in skills {
                        output.writeLine(health.skill.padding(26) + health.status.padding(10) + health.value("pass_rate").description.padding(8)
                                         + health.value("trend").description.padding(7) + String(health.integer("cases")).padding(7)
                                         + String(health.integer("open_failures")).padding(6) + String(health.integer("guards")).padding(8)
                                         + String(health.integer("fixes_merged")).padding(7)
                                         + (health.timeToFixMedian.map { humanDuration(milliseconds: $0) } ?? "-").padding(10)
                                         + health.value("rule").description)
                    }
                }
                output.flush()
            }
        }

        static func json(_ health: SkillHealth) -> JSONText.Value {
            var members = health.columns.map { ($0.name, JSONText.Value($0.value)) }
            members.append(("time_to_fix_ms", .object([("median", health.timeToFixMedian.map { .int($0) } ?? .null),
                                                      ("p90", health.timeToFixP90.map { .int($0) } ?? .null),
                                                      ("guards_timed", .int(health.timesToFix))])))
            members.append(("lever_accuracy", .string(health.leverAccuracy)))
            members.append(("failed_verification_share", .string(health.failedVerificationShare)))
            members.append(("levers", .array(health.levers.map { lever in
                .object([("lever", JSONText.Value(lever[0])), ("target", JSONText.Value(lever[1])), ("diagnosed", JSONText.Value(lever[2])),
                         ("fixes_proposed", JSONText.Value(lever[3])), ("fixes_merged", JSONText.Value(lever[4])), ("resolved", JSONText.Value(lever[5]))])
            })))
            return .object(members)
        }

        static func detail(_ health: SkillHealth, _ output: StandardOutput) {
            var pairs = health.columns.filter { $0.value != .text("") }.map { ($0.name.replacingUnderscores, $0.value.description) }
            pairs.append(("time to fix", health.timeToFixMedian.map { "median \(humanDuration(milliseconds: $0)), p90 \(humanDuration(milliseconds: health.timeToFixP90 ?? $0)) over \(health.timesToFix) guards" } ?? "-"))
            pairs.append(("lever accuracy", health.leverAccuracy.isEmpty ? "-" : health.leverAccuracy))
            pairs.append(("failed verification", health.failedVerificationShare.isEmpty ? "-" : health.failedVerificationShare))
            output.write(Table.keyValue(pairs))
            guard !health.levers.isEmpty else { return }
            output.writeLine("")
            output.writeLine("LEVER".padding(11) + "TARGET".padding(30) + "DIAGNOSED".padding(11) + "PROPOSED".padding(10) + "MERGED".padding(8) + "RESOLVED")
            for lever in health.levers {
                output.writeLine(lever[0].description.padding(11) + lever[1].description.padding(30) + lever[2].description.padding(11)
                                 + lever[3].description.padding(10) + lever[4].description.padding(8) + lever[5].description)
            }
        }
    }
}
