import ArgumentParser
import LedgerStore
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
                let decided = try LoopSteps(ledger: try options.open(.readWrite)).gate(fix: fix)
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
                    let adopted = try LoopSteps(ledger: try options.open(.readWrite)).adoptPolicy(text: text, name: file, by: by)
                    if json {
                        StandardOutput.shared.writeLine(JSONText.object([("policy_sha256", .string(adopted.policySHA256))]))
                        StandardOutput.shared.flush()
                    } else {
                        printRecorded(false, "adopted \(file) (sha256 \(adopted.policySHA256))", adopted)
                    }
                }
            }
        }

        struct Show: ParsableCommand {
            static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Print the policy in force (the default until one is adopted).")
            @OptionGroup var options: LedgerOptions

            func run() throws {
                try reportingErrors {
                    let state = try LoopState.fold(try options.open(.readOnly))
                    StandardOutput.shared.write(state.policy?.text ?? DefaultPolicy.text)
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

        func run() throws {
            try reportingErrors {
                let text = String(decoding: try InputFile.readPayload(path: policy), as: UTF8.self)
                let candidate = try AutonomyPolicy(text: text, name: policy)
                let changes = try Gate.whatIf(candidate, ledger: try options.open(.readOnly))
                let output = StandardOutput.shared
                if json {
                    output.writeLine(JSONText.object([("changes", .array(changes.map {
                        .object([("fix", .string($0.fix)), ("recorded", .string($0.recorded.rawValue)), ("recorded_rule", .string($0.recordedRule)),
                                 ("would_be", .string($0.wouldBe.rawValue)), ("would_be_rule", .string($0.wouldBeRule))])
                    }))]))
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
                    let declared = try LoopSteps(ledger: try options.open(.readWrite)).declareDataset(suite: suite, version: version, text: text, by: by)
                    printRecorded(json, "declared \(declared.cases.count) golden cases for \(declared.suite) \(declared.version)", declared)
                }
            }
        }
    }
}
