import ArgumentParser
import LedgerStore
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
                    output.writeLine(JSONText.object(groups.map { ($0.0, .array($0.1.map { .string($0) })) }))
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

        func run() throws {
            try reportingErrors {
                let ledger = try options.openForReadModels()
                let from = try since.map { try ReadModels.position(since: $0, in: ledger) } ?? 0
                let views = try RegressionView.all(in: ReadModelView(ledger: ledger, asOf: try asOf.position(in: ledger)), sincePosition: from)
                let output = StandardOutput.shared
                if json {
                    output.writeLine(JSONText.object([("regressions", .array(views.map { view in
                        .object([("failure", .string(view.failure)), ("suite", .string(view.suite)), ("case", .string(view.case)),
                                 ("last_good_run", view.lastGoodRun.map { .string($0) } ?? .null),
                                 ("last_good_commit", view.lastGoodCommit.map { .string($0) } ?? .null),
                                 ("first_bad_run", .string(view.firstBadRun)),
                                 ("first_bad_commit", view.firstBadCommit.map { .string($0) } ?? .null), ("open", .bool(view.open))])
                    }))]))
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
        @Option(help: "Periods for --by suite|skill: day, week, month or all.") var period: String = "week"
        @Flag(help: "Print the counts as JSON.") var json = false
        @OptionGroup var asOf: AsOfOption

        func run() throws {
            try reportingErrors {
                let ledger = try options.openForReadModels()
                let position = try asOf.position(in: ledger)
                let output = StandardOutput.shared
                guard by != .type else {
                    let counts = try ledger.eventCountsByType(through: position)
                    if json {
                        output.writeLine(JSONText.object([("by_type", .object(counts.map { ($0.type, .int($0.count)) }))]))
                    } else {
                        for (type, count) in counts { output.writeLine(type.padding(24) + String(count)) }
                    }
                    return output.flush()
                }
                guard let period = PeriodStats.Period(rawValue: period) else {
                    throw LoopError(.invalidArgument, "--period \(period): expected one of \(PeriodStats.Period.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                let view = ReadModelView(ledger: ledger, asOf: position)
                let stats = by == .suite ? try PeriodStats.bySuite(view, period: period) : try PeriodStats.bySkill(view, period: period)
                if json {
                    output.writeLine(JSONText.object([("by_\(by.rawValue)", .array(stats.map { entry in
                        var members: [(String, JSONText.Value)] = [("period", .string(entry.period)), (by.rawValue, .string(entry.name)),
                                                                   ("runs", .int(entry.runs)), ("ran", .int(entry.ran)), ("passed", .int(entry.passed)),
                                                                   ("pass_rate", .string(entry.passRate))]
                        if by == .suite { members += [("slips", .int(entry.slips)), ("guards_held", .int(entry.guardsHeld))] }
                        return .object(members)
                    }))]))
                } else {
                    output.writeLine("PERIOD".padding(22) + by.rawValue.uppercased().padding(26) + "RUNS".padding(6) + "RAN".padding(8) + "PASSED".padding(8)
                                     + "PASS RATE" + (by == .suite ? "  SLIPS  GUARDS HELD" : ""))
                    for entry in stats {
                        output.writeLine(entry.period.padding(22) + entry.name.padding(26) + String(entry.runs).padding(6) + String(entry.ran).padding(8)
                                         + String(entry.passed).padding(8)
                                         + (by == .suite ? entry.passRate.padding(11) + String(entry.slips).padding(7) + String(entry.guardsHeld) : entry.passRate))
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
