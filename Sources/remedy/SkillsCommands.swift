import ArgumentParser
import Events
import LedgerStore
import RemediationLoop
import SystemIO

/// `remedy skills`: the skill map cases are attributed by.
struct SkillsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "skills",
        abstract: "Adopt and show the skill map (case-key globs to skills) that health and the queue attribute cases by.",
        discussion: """
        Adopting a map records its text as an event; from then on `health` and `next --skill` \
        attribute every case the map matches to the map's skill in all history, so no case counts \
        under two skills, and `ingest` uses it when no --skills file is given. Adopting the map \
        already in force records nothing.
        """,
        subcommands: [Adopt.self, Show.self])

    struct Adopt: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "adopt", abstract: "Adopt a skill map file ('glob  skill' a line, the last match wins); history is re-attributed.")
        @OptionGroup var options: LedgerOptions
        @Argument(help: "The skill map file (such as .remedy/skills).") var file: String
        @Option(help: "Who adopts it.") var by: String?
        @Flag(help: "Print the result as JSON.") var json = false

        /// `--json`: the map's hash and whether this command recorded it.
        struct Output: Encodable {
            var mapSha256: String
            /// False when the map was already in force.
            var adopted: Bool
            var rules: Int
        }

        func run() throws {
            try reportingErrors {
                let text = String(decoding: try InputFile.readPayload(path: file), as: UTF8.self)
                let store = try options.openStore(.readWrite)
                let candidate = try SkillMapAdopted(text: text, name: file, by: by)
                let recorded = try LoopSteps(ledger: store).adoptSkillMap(candidate)
                if json {
                    try JSONOutput.print(Output(mapSha256: candidate.mapSHA256, adopted: recorded != nil, rules: candidate.rules.count))
                } else if recorded != nil {
                    StandardOutput.shared.writeLine("adopted \(file) (sha256 \(candidate.mapSHA256), \(candidate.rules.count) rules): history is attributed by it")
                } else {
                    StandardOutput.shared.writeLine("\(file) is the skill map in force already (sha256 \(candidate.mapSHA256)): nothing recorded")
                }
                StandardOutput.shared.flush()
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Print the skill map in force (none until one is adopted).")
        @OptionGroup var options: LedgerOptions
        @Flag(help: "Print it as JSON: its hash, who adopted it, its rules and text (null fields when none is adopted).") var json = false

        struct Output: Encodable {
            @NullEncoded var mapSha256: String?
            @NullEncoded var adoptedBy: String?
            var rules: [SkillMap.Rule]
            @NullEncoded var text: String?
        }

        func run() throws {
            try reportingErrors {
                let adopted = try SkillMap.adopted(in: try options.openStore(.readOnly))
                if json {
                    try JSONOutput.print(Output(mapSha256: adopted?.mapSHA256, adoptedBy: adopted?.by, rules: adopted?.rules ?? [], text: adopted?.text))
                } else if let adopted {
                    StandardOutput.shared.write(adopted.text.hasSuffix("\n") || adopted.text.isEmpty ? adopted.text : adopted.text + "\n")
                } else {
                    StandardOutput.shared.writeLine("no skill map adopted: cases count under the skill their reports or --skills file gave (remedy skills adopt FILE)")
                }
                StandardOutput.shared.flush()
            }
        }
    }
}
