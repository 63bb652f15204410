import ArgumentParser
import Events
import LedgerStore
import Projections
import ReadViews
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
                        .rows(GuardRow.self, matching: suite.map { [("suite", .text($0))] } ?? [])
                    for row in rows where row.state.isActive { output.writeLine(row.caseKey) }
                    return output.flush()
                }
                let view = ReadModelView(ledger: ledger, asOf: position)
                let guards = try GuardView.all(in: view, suite: suite)
                if json {
                    try JSONOutput.print(Output(guards: try guards.map { GuardOutput($0, try GuardProvenance.chain(of: $0, in: view)) }))
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

    /// `remedy guards --json`: `{"guards":[...]}`.
    struct Output: Encodable {
        var guards: [GuardOutput]
    }

    /// One guard, with where it came from.
    struct GuardOutput: Encodable {
        var suite: String
        var `case`: String
        var state: GuardState
        var sinceRun: String
        var failure: String
        @NullEncoded var fix: String?
        @NullEncoded var lastRun: String?
        @NullEncoded var lastPassingRun: String?
        @NullEncoded var slippedFailure: String?
        @NullEncoded var retiredReason: String?
        @NullEncoded var retiredBy: String?
        var provenance: ProvenanceOutput
        /// `why --json` only: the failing attempts that started the chain, with their evidence.
        var evidence: [AttemptEvidence]?

        init(_ guarded: GuardView, _ chain: GuardProvenance) {
            suite = guarded.suite
            self.case = guarded.case
            state = guarded.state
            sinceRun = guarded.sinceRun
            failure = guarded.failure
            fix = guarded.fix
            lastRun = guarded.lastRun
            lastPassingRun = guarded.lastPassingRun
            slippedFailure = guarded.slippedFailure
            retiredReason = guarded.retiredReason
            retiredBy = guarded.retiredBy
            provenance = ProvenanceOutput(chain)
        }
    }

    /// The chain that made a case a guard: `guards --json`'s `provenance`, and `why --json`'s.
    /// Each step's fields are `null` when the ledger holds no such step (a history written by hand).
    struct ProvenanceOutput: Encodable {
        @NullEncoded var detectedInRun: String?
        @NullEncoded var detectedAs: FailureKind?
        @NullEncoded var detectedStatus: CaseStatus?
        @NullEncoded var detectedMessage: String?
        @NullEncoded var detectedTraceId: String?
        @NullEncoded var diagnosisLever: Lever?
        @NullEncoded var diagnosisTarget: String?
        @NullEncoded var diagnosisBy: String?
        @NullEncoded var diagnosisConfidence: Double?
        @NullEncoded var fixChange: String?
        @NullEncoded var fixOrigin: FixOrigin?
        @NullEncoded var fixBlastRadius: BlastRadius?
        @NullEncoded var verificationRun: String?
        @NullEncoded var verificationClean: Bool?
        @NullEncoded var gateDecision: GateDecision?
        @NullEncoded var gateRule: String?
        @NullEncoded var gateInvariant: String?
        @NullEncoded var mergeCommit: String?
        @NullEncoded var mergedBy: String?
        var passedInRun: String

        init(_ chain: GuardProvenance) {
            detectedInRun = chain.detected?.runID
            detectedAs = chain.detected?.kind
            detectedStatus = chain.detected?.status
            detectedMessage = chain.detected?.message
            detectedTraceId = chain.detected?.traceID
            diagnosisLever = chain.diagnosis?.lever
            diagnosisTarget = chain.diagnosis?.target
            diagnosisBy = chain.diagnosis?.by
            diagnosisConfidence = JSONOutput.number(chain.diagnosis?.confidence)
            fixChange = chain.proposal?.change
            fixOrigin = chain.proposal?.origin
            fixBlastRadius = chain.proposal?.blastRadius
            verificationRun = chain.verification?.runID
            verificationClean = chain.verification?.clean
            gateDecision = chain.gate?.decision
            gateRule = chain.gate?.rule
            gateInvariant = chain.gate?.invariant
            mergeCommit = chain.merged?.commit
            mergedBy = chain.merged?.by
            passedInRun = chain.resolvedIn
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
                    let ledger = try options.openStore(.readWrite)
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
        @Flag(help: "Print the guard and its chain as JSON.") var json = false
        @OptionGroup var asOf: AsOfOption


        func run() throws {
            try reportingErrors {
                let ledger = try options.openForReadModels()
                let view = ReadModelView(ledger: ledger, asOf: try asOf.position(in: ledger))
                let chain = try GuardProvenance.of(self.case, suite: suite, in: view)
                if json {
                    // The guard as `guards --json` prints it, with its provenance and the evidence it started from.
                    var output = GuardOutput(chain.guardView, chain)
                    output.evidence = try chain.detected.map { detected in
                        try CaseEvidence.attempts(suite: detected.suite, run: detected.runID, case: detected.case, ledger: ledger, through: view.asOf)
                            .filter { $0.status.isFailure }.map(AttemptEvidence.init)
                    } ?? []
                    try JSONOutput.print(output)
                    return StandardOutput.shared.flush()
                }
                var rows: [(String, String)] = [("guard", "\(chain.guardView.case) (\(chain.guardView.suite)): \(chain.guardView.state.rawValue)")]
                if let detected = chain.detected {
                    rows.append(("failed", "run \(detected.runID) as \(detected.failure) (\(detected.kind), \(detected.status))"
                                 + (detected.message.map { ": \($0)" } ?? "") + (detected.traceID.map { " [trace \($0)]" } ?? "")))
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

            /// `--json`: `{"runs":[...]}`, oldest first.
            struct Output: Encodable {
                var runs: [RunOutput]
            }

            struct RunOutput: Encodable {
                var suite: String
                var run: String
                var guardsTotal: Int
                var guardsHeld: Int
                var slips: Int
                var tests: Int
                /// passed / ran; `null` when nothing ran.
                @NullEncoded var passRate: Double?
                var highWater: Int
                var completedAt: String
                var ran: Int
                var passed: Int

                init(_ row: RatchetRunRow) {
                    suite = row.suite
                    run = row.runID
                    guardsTotal = row.guardsTotal
                    guardsHeld = row.guardsHeld
                    slips = row.slips
                    tests = row.tests
                    passRate = JSONOutput.number(row.passRate)
                    highWater = row.highWater
                    completedAt = row.completedAt
                    ran = row.ran
                    passed = row.passed
                }
            }

            func run() throws {
                try reportingErrors {
                    let ledger = try options.openForReadModels()
                    let position = try asOf.position(in: ledger)
                    let rows = try ReadModelView(ledger: ledger, asOf: position).rows(RatchetRunRow.self)
                        .filter { suite == nil || $0.suite == suite }
                    let output = StandardOutput.shared
                    if json {
                        try JSONOutput.print(Output(runs: rows.map(RunOutput.init)))
                    } else if rows.isEmpty {
                        output.writeLine("no completed runs")
                    } else {
                        output.writeLine("suite".padding(20) + "run".padding(10) + "guards".padding(8) + "held".padding(6) + "slips".padding(7) + "pass rate".padding(11) + "high water")
                        for row in rows {
                            output.writeLine(row.suite.padding(20) + row.runID.padding(10) + String(row.guardsTotal).padding(8)
                                + String(row.guardsHeld).padding(6) + String(row.slips).padding(7) + (row.passRate ?? "-").padding(11) + String(row.highWater))
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
            @Option(help: ArgumentHelp("The CI re-run of it to check (as given to ingest --attempt).", valueName: "n")) var attempt: Int?
            @Flag(help: "Print the result as JSON.") var json = false

            /// `--json`: whether the ratchet holds, the guards checked, and those that failed or did not run.
            struct Output: Encodable {
                var holds: Bool
                var guards: Int
                var failed: [String]
                var missing: [String]
                var quarantinedFailing: [String]
            }

            func run() throws {
                try reportingErrors {
                    let ledger = try options.openStore(.readOnly)
                    let runID = LoopStreams.runID(self.runID, attempt: attempt)
                    let suite = try self.suite ?? ReadModels.suite(ofRun: runID, in: ledger)
                    let check = try RatchetCheck.check(suite: suite, run: runID, ledger: ledger)
                    let output = StandardOutput.shared
                    if json {
                        try JSONOutput.print(Output(holds: check.holds, guards: check.guardsChecked, failed: check.failed, missing: check.missing,
                                                    quarantinedFailing: check.quarantinedFailing))
                    } else {
                        if check.holds {
                            output.writeLine("the ratchet holds: \(check.guardsChecked) guards kept in run \(check.run)")
                        }
                        for key in check.failed { output.writeLine("failed   \(key)") }
                        for key in check.missing { output.writeLine("missing  \(key) (not run, not retired)") }
                        for key in check.quarantinedFailing { output.writeLine("quarantined-failing  \(key) (counts once its quarantine lapses)") }
                    }
                    output.flush()
                    if !check.holds { throw ExitCode(RemedyExitCode.ratchetSlipped.rawValue) }
                }
            }
        }
    }
}
