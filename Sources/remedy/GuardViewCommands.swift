import ArgumentParser
import LedgerStore
import Projections
import RemediationLoop

extension Remedy {
    /// `remedy guards`: every regression guard, or `--list` for the next eval run to include.
    struct Guards: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "guards",
            abstract: "List the regression guards: their state and where they came from (from the guards read model).")

        @OptionGroup var options: LedgerOptions
        @Option(help: "Only this suite's guards.") var suite: String?
        @Flag(help: "One case key a line (holding and slipped guards), for the next eval run to include.") var list = false
        @Flag(help: "Print the guards as JSON.") var json = false
        @OptionGroup var asOf: AsOfOption

        func run() throws {
            try reportingErrors {
                let ledger = try options.openForReadModels()
                let position = try asOf.position(in: ledger)
                let output = StandardOutput.shared
                if list {
                    // The hot path of CI: one read of the guards table.
                    let rows = try ReadModelView(ledger: ledger, asOf: position)
                        .rows(GuardsProjection.table, matching: suite.map { [("suite", .text($0))] } ?? [])
                    for row in rows where row[2] != .text("retired") { output.writeLine(row[1].text ?? "") }
                    return output.flush()
                }
                let view = ReadModelView(ledger: ledger, asOf: position)
                let guards = try GuardView.all(in: view, suite: suite)
                if json {
                    output.writeLine(JSONText.object([("guards", .array(try guards.map { guarded in
                        let chain = try GuardProvenance.chain(of: guarded, in: view)
                        func text(_ value: String?) -> JSONText.Value { value.map { .string($0) } ?? .null }
                        return .object([
                            ("suite", .string(guarded.suite)), ("case", .string(guarded.case)), ("state", .string(guarded.state.rawValue)),
                            ("since_run", .string(guarded.sinceRun)), ("failure", .string(guarded.failure)), ("fix", text(guarded.fix)),
                            ("last_run", text(guarded.lastRun)), ("last_passing_run", text(guarded.lastPassingRun)),
                            ("slipped_failure", text(guarded.slippedFailure)), ("retired_reason", text(guarded.retiredReason)),
                            ("retired_by", text(guarded.retiredBy)),
                            ("provenance", .object([
                                ("detected_in_run", text(chain.detected?.runID)), ("diagnosis_lever", text(chain.diagnosis?.lever.rawValue)),
                                ("diagnosis_target", text(chain.diagnosis?.target)), ("verification_run", text(chain.verification?.runID)),
                                ("gate_decision", text(chain.gate?.decision.rawValue)), ("gate_rule", text(chain.gate?.rule)),
                                ("merge_commit", text(chain.merged?.commit)), ("passed_in_run", .string(chain.resolvedIn)),
                            ])),
                        ])
                    }))]))
                } else if guards.isEmpty {
                    output.writeLine("no regression guards\(asOf.point.map { " as of \($0)" } ?? "")")
                } else {
                    for guarded in guards {
                        output.writeLine("\(guarded.case.padding(44))\(guarded.state.rawValue.padding(9))since run \(guarded.sinceRun.padding(6))fix \((guarded.fix ?? "-").padding(20))last passed in run \(guarded.lastPassingRun ?? "-")")
                    }
                }
                output.flush()
            }
        }
    }

    /// `remedy projections rebuild [NAME]`: rebuild read models from the first event.
    struct ProjectionsCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "projections", abstract: "Manage the read models.", subcommands: [Rebuild.self])

        struct Rebuild: ParsableCommand {
            static let configuration = CommandConfiguration(
            commandName: "rebuild", abstract: "Rebuild read models from the first event (built aside, swapped in at once).")
            @OptionGroup var options: LedgerOptions
            @Argument(help: "The projection (default: all).") var name: String?

            func run() throws {
                try reportingErrors {
                    let ledger = try options.open(.readWrite)
                    let projections = try name.map { [try ReadModels.named($0)] } ?? ReadModels.all
                    for (projection, result) in zip(projections, try ledger.rebuild(projections)) {
                        StandardOutput.shared.writeLine("rebuilt \(projection.name): \(result.folded) events, through position \(result.position)")
                    }
                    StandardOutput.shared.flush()
                }
            }
        }
    }

    /// `remedy why CASE`: the chain that made a case a guard.
    struct Why: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "why", abstract: "Show the chain of events that made a case a regression guard.")

        @OptionGroup var options: LedgerOptions
        @Argument(help: "The case key.") var `case`: String
        @Option(help: "The case's suite (when it is a guard in several).") var suite: String?
        @OptionGroup var asOf: AsOfOption

        func run() throws {
            try reportingErrors {
                let ledger = try options.openForReadModels()
                let view = ReadModelView(ledger: ledger, asOf: try asOf.position(in: ledger))
                let chain = try GuardProvenance.of(self.case, suite: suite, in: view)
                var rows: [(String, String)] = [("guard", "\(chain.guardView.case) (\(chain.guardView.suite)): \(chain.guardView.state.rawValue)")]
                if let detected = chain.detected {
                    rows.append(("failed", "run \(detected.runID) as \(detected.failure) (\(detected.kind), \(detected.status))"))
                }
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
        static let configuration = CommandConfiguration(
            commandName: "ratchet",
            abstract: "The ratchet: its history per run, and the check that a run kept every guard.",
            subcommands: [History.self, Check.self], defaultSubcommand: History.self)

        struct History: ParsableCommand {
            static let configuration = CommandConfiguration(
            commandName: "history", abstract: "Per run: guards total, held, slips, pass rate and the high-water mark.")
            @OptionGroup var options: LedgerOptions
            @Option(help: "Only this suite.") var suite: String?
            @Flag(help: "Print the history as JSON.") var json = false
            @OptionGroup var asOf: AsOfOption

            func run() throws {
                try reportingErrors {
                    let ledger = try options.openForReadModels()
                    let position = try asOf.position(in: ledger)
                    let rows = try ReadModelView(ledger: ledger, asOf: position).rows(RatchetProjection.runs)
                        .filter { suite == nil || $0[0].text == suite }
                    let output = StandardOutput.shared
                    if json {
                        output.writeLine(JSONText.object([("runs", .array(rows.map { row in
                            .object([("suite", JSONText.Value(row[0])), ("run", JSONText.Value(row[2])), ("guards_total", JSONText.Value(row[3])),
                                     ("guards_held", JSONText.Value(row[4])), ("slips", JSONText.Value(row[5])), ("tests", JSONText.Value(row[6])),
                                     ("pass_rate", JSONText.Value(row[7])), ("high_water", JSONText.Value(row[8])),
                                     ("completed_at", JSONText.Value(row[9])), ("ran", JSONText.Value(row[10])), ("passed", JSONText.Value(row[11]))])
                        }))]))
                    } else if rows.isEmpty {
                        output.writeLine("no completed runs")
                    } else {
                        output.writeLine("suite".padding(20) + "run".padding(10) + "guards".padding(8) + "held".padding(6) + "slips".padding(7) + "pass rate".padding(11) + "high water")
                        for row in rows {
                            output.writeLine((row[0].text ?? "").padding(20) + (row[2].text ?? "").padding(10) + String(row[3].number).padding(8)
                                + String(row[4].number).padding(6) + String(row[5].number).padding(7) + (row[7].text ?? "").padding(11) + String(row[8].number))
                        }
                    }
                    output.flush()
                }
            }
        }

        struct Check: ParsableCommand {
            static let configuration = CommandConfiguration(
            commandName: "check",
                abstract: "Exit 12 if a guard failed in the run, or a guard not retired did not run in it.")

            @OptionGroup var options: LedgerOptions
            @Option(help: "The suite (needed only when the run id is a run of several suites).") var suite: String?
            @Option(name: .customLong("run"), help: "The run to check.") var runID: String
            @Flag(help: "Print the result as JSON.") var json = false

            func run() throws {
                try reportingErrors {
                    let ledger = try options.open(.readOnly)
                    let suite = try self.suite ?? ReadModels.suite(ofRun: runID, in: ledger)
                    let check = try RatchetCheck.check(suite: suite, run: runID, ledger: ledger)
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
