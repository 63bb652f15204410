import ArgumentParser
import LedgerStore
import ReadViews
import RemediationLoop

extension Remedy {
    /// `remedy diff RUN_A RUN_B`: what changed between two runs.
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diff", abstract: "Compare two runs of a suite: newly failing, newly passing, guards slipped, flaky.")

        @OptionGroup var options: LedgerOptions
        @Argument(help: "The earlier run.") var runA: String
        @Argument(help: "The later run.") var runB: String
        @Option(help: "The suite (needed only when run B's id is a run of several suites).") var suite: String?
        @Flag(help: "Print the differences as JSON.") var json = false
        @OptionGroup var asOf: AsOfOption

        /// `--json`: each group of case keys.
        struct Output: Encodable {
            var newlyFailing: [String]
            var newlyPassing: [String]
            var guardsSlipped: [String]
            var flaky: [String]
            var onlyInA: [String]
            var onlyInB: [String]
        }

        func run() throws {
            try reportingErrors {
                let ledger = try options.openForReadModels()
                let suite = try self.suite ?? ReadModels.suite(ofRun: runB, in: ledger)
                let diff = try RunDiff.between(suite: suite, runA, runB, ledger: ledger, asOf: try asOf.position(in: ledger))
                let groups: [(String, [String])] = [
                    ("newly_failing", diff.newlyFailing), ("newly_passing", diff.newlyPassing), ("guards_slipped", diff.guardsSlipped),
                    ("flaky", diff.flaky), ("only_in_a", diff.onlyInA), ("only_in_b", diff.onlyInB),
                ]
                let output = StandardOutput.shared
                if json {
                    try JSONOutput.print(Output(newlyFailing: diff.newlyFailing, newlyPassing: diff.newlyPassing, guardsSlipped: diff.guardsSlipped,
                                                flaky: diff.flaky, onlyInA: diff.onlyInA, onlyInB: diff.onlyInB))
                } else {
                    for (name, keys) in groups {
                        output.writeLine("\(name.replacingUnderscores) (\(keys.count))")
                        for key in keys { output.writeLine("  \(key)") }
                    }
                }
                output.flush()
            }
        }
    }

    /// `remedy regressions`: every regression with its last good and first bad run.
    struct Regressions: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "regressions", abstract: "List regressions: each with its last good and first bad run and commit.")

        @OptionGroup var options: LedgerOptions
        @Option(help: ArgumentHelp("Only those detected at or after a position, an RFC 3339 time, or run:ID.", valueName: "point")) var since: String?
        @Flag(help: "Print the regressions as JSON.") var json = false
        @OptionGroup var asOf: AsOfOption

        /// `--json`: `{"regressions":[...]}`, oldest first.
        struct Output: Encodable {
            var regressions: [RegressionOutput]
        }

        struct RegressionOutput: Encodable {
            var failure: String
            var suite: String
            var `case`: String
            @NullEncoded var lastGoodRun: String?
            @NullEncoded var lastGoodCommit: String?
            var firstBadRun: String
            @NullEncoded var firstBadCommit: String?
            var open: Bool

            init(_ view: RegressionView) {
                failure = view.failure
                suite = view.suite
                self.case = view.case
                lastGoodRun = view.lastGoodRun
                lastGoodCommit = view.lastGoodCommit
                firstBadRun = view.firstBadRun
                firstBadCommit = view.firstBadCommit
                open = view.open
            }
        }

        func run() throws {
            try reportingErrors {
                let ledger = try options.openForReadModels()
                let from = try since.map { try ReadModels.position(since: $0, in: ledger) } ?? 0
                let views = try RegressionView.all(in: ReadModelView(ledger: ledger, asOf: try asOf.position(in: ledger)), sincePosition: from)
                let output = StandardOutput.shared
                if json {
                    try JSONOutput.print(Output(regressions: views.map(RegressionOutput.init)))
                } else if views.isEmpty {
                    output.writeLine("no regressions")
                } else {
                    for view in views {
                        output.writeLine("\(view.failure.padding(12))\(view.case.padding(44))good run \((view.lastGoodRun ?? "-")) (\(view.lastGoodCommit ?? "-")), bad run \(view.firstBadRun) (\(view.firstBadCommit ?? "-"))\(view.open ? "" : ", resolved")")
                    }
                }
                output.flush()
            }
        }
    }

    /// `remedy stats`: counts by event type, or runs and pass rates by suite or skill over time.
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stats",
            abstract: "Count the ledger's events by type, or runs and pass rates by suite or skill over time.")

        enum Grouping: String, ExpressibleByArgument, CaseIterable { case type, suite, skill }

        @OptionGroup var options: LedgerOptions
        @Option(help: "What to count by: type (events), suite or skill (runs, cases run and passed).") var by: Grouping = .type
        @Option(help: "Periods for --by suite|skill.") var period: PeriodStats.Period = .week
        @Flag(help: "Print the counts as JSON.") var json = false
        @OptionGroup var asOf: AsOfOption

        /// `--json --by type`: `{"by_type":{"TYPE":count,...}}`.
        struct TypeCounts: Encodable {
            var byType: [String: Int]
        }

        /// `--json --by suite|skill`: `{"by_suite":[...]}` or `{"by_skill":[...]}`.
        struct PeriodsOutput: Encodable {
            var bySuite: [PeriodOutput]?
            var bySkill: [PeriodOutput]?
        }

        /// One suite's or skill's runs in one period; `slips` and `guards_held` for suites only.
        struct PeriodOutput: Encodable {
            var period: String
            var suite: String?
            var skill: String?
            var runs: Int
            var ran: Int
            var passed: Int
            @NullEncoded var passRate: Double?
            var slips: Int?
            var guardsHeld: Int?

            init(_ entry: PeriodStats, by: Grouping) {
                period = entry.period
                runs = entry.runs
                ran = entry.ran
                passed = entry.passed
                passRate = JSONOutput.number(entry.passRate)
                if by == .suite {
                    suite = entry.name
                    slips = entry.slips
                    guardsHeld = entry.guardsHeld
                } else {
                    skill = entry.name
                }
            }
        }

        func run() throws {
            try reportingErrors {
                let ledger = try options.openForReadModels()
                let position = try asOf.position(in: ledger)
                let output = StandardOutput.shared
                guard by != .type else {
                    let counts = try ledger.eventCountsByType(through: position)
                    if json {
                        try JSONOutput.print(TypeCounts(byType: Dictionary(uniqueKeysWithValues: counts.map { ($0.type, $0.count) })))
                    } else {
                        for (type, count) in counts { output.writeLine(type.padding(24) + String(count)) }
                    }
                    return output.flush()
                }
                let view = ReadModelView(ledger: ledger, asOf: position)
                let stats = by == .suite ? try PeriodStats.bySuite(view, period: period) : try PeriodStats.bySkill(view, period: period)
                if json {
                    let entries = stats.map { PeriodOutput($0, by: by) }
                    try JSONOutput.print(by == .suite ? PeriodsOutput(bySuite: entries) : PeriodsOutput(bySkill: entries))
                } else {
                    output.writeLine("PERIOD".padding(22) + by.rawValue.uppercased().padding(26) + "RUNS".padding(6) + "RAN".padding(8) + "PASSED".padding(8)
                                     + "PASS RATE" + (by == .suite ? "  SLIPS  GUARDS HELD" : ""))
                    for entry in stats {
                        output.writeLine(entry.period.padding(22) + entry.name.padding(26) + String(entry.runs).padding(6) + String(entry.ran).padding(8)
                                         + String(entry.passed).padding(8)
                                         + (by == .suite ? (entry.passRate ?? "-").padding(11) + String(entry.slips).padding(7) + String(entry.guardsHeld)
                                            : entry.passRate ?? "-"))
                    }
                }
                output.flush()
            }
        }
    }
}

extension String {
    var replacingUnderscores: String { split(separator: "_").joined(separator: " ") }
}
