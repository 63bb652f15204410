import ArgumentParser
import Events
import LedgerStore
import ReadViews
import RemediationLoop

extension Remedy {
    /// `remedy gate`: decide a fix under the policy in force.
    struct GateCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "gate",
            abstract: "Decide a fix under the autonomy policy in force, and record the decision.",
            discussion: "Exit codes tell CI what to do: 0 auto-merge, 10 review (queue for a person), 11 block.")

        @OptionGroup var options: LedgerOptions
        @Argument(help: "The fix id.") var fix: String
        @Flag(help: "Print the decision as JSON.") var json = false

        func run() throws {
            try reportingErrors {
                let decided = try LoopSteps(ledger: try options.openStore(.readWrite)).gate(fix: fix)
                printRecorded(json, "\(decided.decision): \(decided.invariant ?? decided.rule)", decided)
                switch decided.decision {
                case .autoMerge: return
                case .review: throw ExitCode(RemedyExitCode.gateReview.rawValue)
                case .block: throw ExitCode(RemedyExitCode.gateBlock.rawValue)
                }
            }
        }
    }

    /// `remedy policy adopt`: put a policy in force.
    struct PolicyCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "policy", abstract: "Manage the autonomy policy.", subcommands: [Adopt.self, Show.self])

        struct Adopt: ParsableCommand {
            static let configuration = CommandConfiguration(
            commandName: "adopt", abstract: "Adopt a policy file (JSON): its full text and hash are recorded.")
            @OptionGroup var options: LedgerOptions
            @Argument(help: "The policy file.") var file: String
            @Option(help: "Who adopts it.") var by: String?
            @Flag(help: "Print the result as JSON.") var json = false

            func run() throws {
                try reportingErrors {
                    let text = String(decoding: try InputFile.readPayload(path: file), as: UTF8.self)
                    let adopted = try LoopSteps(ledger: try options.openStore(.readWrite)).adoptPolicy(text: text, name: file, by: by)
                    if json {
                        try JSONOutput.print(Adopted(policySha256: adopted.policySHA256))
                        StandardOutput.shared.flush()
                    } else {
                        printRecorded(false, "adopted \(file) (sha256 \(adopted.policySHA256))", adopted)
                    }
                }
            }
        }

        /// `policy adopt --json`: the adopted policy's hash, which decisions cite.
        struct Adopted: Encodable {
            var policySha256: String
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Print the policy in force (the default until one is adopted).")
            @OptionGroup var options: LedgerOptions
            @Flag(help: "Print the policy in force as JSON: its hash, whether it is the default, who adopted it, its rules.") var json = false

            /// `--json`: the policy in force, parsed.
            struct Output: Encodable {
                var policySha256: String
                /// True until a policy is adopted.
                var isDefault: Bool
                @NullEncoded var adoptedBy: String?
                var highStakes: [String]
                var rules: [AutonomyPolicy.Rule]
                var text: String
            }

            func run() throws {
                try reportingErrors {
                    let state = try LoopState.fold(try options.openStore(.readOnly))
                    if json {
                        let policy = try state.policyInForce()
                        try JSONOutput.print(Output(policySha256: policy.sha256, isDefault: state.policy == nil, adoptedBy: state.policy?.by,
                                                    highStakes: policy.highStakes, rules: policy.rules, text: policy.text))
                    } else {
                        StandardOutput.shared.write(state.policy?.text ?? DefaultPolicy.text)
                    }
                    StandardOutput.shared.flush()
                }
            }
        }
    }

    /// `remedy what-if`: past decisions another policy would change.
    struct WhatIf: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "what-if",
            abstract: "Re-decide every past gate decision under another policy and list those that change.")

        @OptionGroup var options: LedgerOptions
        @Option(help: "The policy file to try.") var policy: String
        @Flag(help: "Print the changes as JSON.") var json = false

        /// `--json`: `{"changes":[...]}`, each decision that would change.
        struct Output: Encodable {
            var changes: [Change]
        }

        struct Change: Encodable {
            var fix: String
            var recorded: GateDecision
            var recordedRule: String
            var wouldBe: GateDecision
            var wouldBeRule: String
        }

        func run() throws {
            try reportingErrors {
                let text = String(decoding: try InputFile.readPayload(path: policy), as: UTF8.self)
                let candidate = try AutonomyPolicy(text: text, name: policy)
                let changes = try Gate.whatIf(candidate, ledger: try options.openStore(.readOnly))
                let output = StandardOutput.shared
                if json {
                    try JSONOutput.print(Output(changes: changes.map {
                        Change(fix: $0.fix, recorded: $0.recorded, recordedRule: $0.recordedRule, wouldBe: $0.wouldBe, wouldBeRule: $0.wouldBeRule)
                    }))
                } else if changes.isEmpty {
                    output.writeLine("no decision would change")
                } else {
                    for change in changes {
                        output.writeLine("\(change.fix): \(change.recorded) → \(change.wouldBe) (\(change.wouldBeRule))")
                    }
                }
                output.flush()
            }
        }
    }

    /// `remedy dataset declare`: a suite's golden dataset.
    struct DatasetCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "dataset", abstract: "Manage golden datasets.", subcommands: [Declare.self])

        struct Declare: ParsableCommand {
            static let configuration = CommandConfiguration(
            commandName: "declare", abstract: "Declare a suite's golden dataset: a file with one case key a line.")
            @OptionGroup var options: LedgerOptions
            @Option(help: "The suite.") var suite: String
            @Option(help: "The dataset's version.") var version: String
            @Argument(help: "The file of case keys.") var file: String
            @Option(help: "Who declares it.") var by: String?
            @Flag(help: "Print the result as JSON.") var json = false

            func run() throws {
                try reportingErrors {
                    let text = String(decoding: try InputFile.readPayload(path: file), as: UTF8.self)
                    let declared = try LoopSteps(ledger: try options.openStore(.readWrite)).declareDataset(suite: suite, version: version, text: text, by: by)
                    printRecorded(json, "declared \(declared.cases.count) golden cases for \(declared.suite) \(declared.version)", declared)
                }
            }
        }
    }
}
