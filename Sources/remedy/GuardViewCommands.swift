import ArgumentParser
import LedgerStore
import RemediationLoop

extension Remedy {
    /// `remedy guards`: every regression guard, or `--list` for the next eval run to include.
    struct Guards: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the regression guards: their state and where they came from.")

        @OptionGroup var options: LedgerOptions
        @Option(help: "Only this suite's guards.") var suite: String?
        @Flag(help: "One case key a line (holding and slipped guards), for the next eval run to include.") var list = false
        @Flag(help: "Print the guards as JSON.") var json = false

        func run() throws {
            try reportingErrors {
                let views = try LoopState.fold(try options.open(.readOnly)).guardViews(suite: suite)
                let output = StandardOutput.shared
                if list {
                    for view in views where view.state != .retired { output.writeLine(view.case) }
                } else if json {
                    output.writeLine(JSONText.object([("guards", .array(views.map { view in
                        .object([("suite", .string(view.suite)), ("case", .string(view.case)), ("state", .string(view.state.rawValue)),
                                 ("since_run", .string(view.sinceRun)), ("failure", .string(view.failure)),
                                 ("fix", view.fix.map { .string($0) } ?? .null), ("last_run", view.lastRun.map { .string($0) } ?? .null),
                                 ("last_passing_run", view.lastPassingRun.map { .string($0) } ?? .null),
                                 ("retired_reason", view.retiredReason.map { .string($0) } ?? .null)])
                    }))]))
                } else if views.isEmpty {
                    output.writeLine("no regression guards yet")
                } else {
                    for view in views {
                        output.writeLine("\(view.case.padding(44))\(view.state.rawValue.padding(9))since run \(view.sinceRun.padding(6))fix \((view.fix ?? "-").padding(20))last passed \(view.lastPassingRun ?? "-")")
                    }
                }
                output.flush()
            }
        }
    }

    /// `remedy why CASE`: the chain that made a case a guard.
    struct Why: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the chain of events that made a case a regression guard.")

        @OptionGroup var options: LedgerOptions
        @Argument(help: "The case key.") var `case`: String
        @Option(help: "The case's suite (when it is a guard in several).") var suite: String?

        func run() throws {
            try reportingErrors {
                let chain = try LoopState.fold(try options.open(.readOnly)).provenance(of: self.case, suite: suite)
                var rows: [(String, String)] = [
                    ("guard", "\(chain.guardView.case) (\(chain.guardView.suite)): \(chain.guardView.state.rawValue)"),
                    ("failed", "run \(chain.detected.runID) as \(chain.detected.failure) (\(chain.detected.kind), \(chain.detected.status))"),
                ]
                if let diagnosis = chain.diagnosis {
                    rows.append(("diagnosed", "\(diagnosis.lever) \(diagnosis.target) by \(diagnosis.by)\(diagnosis.confidence.map { ", confidence \($0)" } ?? "")"))
                }
                if let proposal = chain.proposal {
                    rows.append(("fix", "\(proposal.fix): \(proposal.change) (\(proposal.origin), blast radius \(proposal.blastRadius))"))
                }
                if let verification = chain.verification {
                    rows.append(("verified", "run \(verification.runID): \(verification.clean ? "clean" : "not clean"), \(verification.casesCovered)/\(verification.goldenCases) golden cases"))
                }
                if let gate = chain.gate { rows.append(("gate", "\(gate.decision): \(gate.invariant ?? gate.rule)")) }
                if let merged = chain.merged { rows.append(("merged", "commit \(merged.commit)\(merged.by.map { " by \($0)" } ?? "")")) }
                rows.append(("passed", "run \(chain.resolvedIn): the case became a guard"))
                if let reason = chain.guardView.retiredReason { rows.append(("retired", reason)) }
                StandardOutput.shared.write(Table.keyValue(rows))
                StandardOutput.shared.flush()
            }
        }
    }

    /// `remedy ratchet check --run R`: the CI gate that keeps the ratchet turning one way.
    struct Ratchet: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The ratchet: checks that a run kept every guard.", subcommands: [Check.self])

        struct Check: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Exit 12 if a guard failed in the run, or a guard not retired did not run in it.")

            @OptionGroup var options: LedgerOptions
            @Option(help: "The suite.") var suite: String
            @Option(name: .customLong("run"), help: "The run to check.") var runID: String
            @Flag(help: "Print the result as JSON.") var json = false

            func run() throws {
                try reportingErrors {
                    let check = try RatchetCheck.check(suite: suite, run: runID, ledger: try options.open(.readOnly))
                    let output = StandardOutput.shared
                    if json {
                        output.writeLine(JSONText.object([
                            ("holds", .bool(check.holds)), ("guards", .int(check.guardsChecked)),
                            ("failed", .array(check.failed.map { .string($0) })), ("missing", .array(check.missing.map { .string($0) })),
                        ]))
                    } else if check.holds {
                        output.writeLine("the ratchet holds: \(check.guardsChecked) guards kept in run \(check.run)")
                    } else {
                        for key in check.failed { output.writeLine("failed   \(key)") }
                        for key in check.missing { output.writeLine("missing  \(key) (not run, not retired)") }
                    }
                    output.flush()
                    if !check.holds { throw ExitCode(RemedyExitCode.ratchetSlipped.rawValue) }
                }
            }
        }
    }
}
