import ArgumentParser
import LedgerStore
import RemediationLoop

extension Remedy {
    /// `remedy diff RUN_A RUN_B`: what changed between two runs.
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Compare two runs of a suite: newly failing, newly passing, guards slipped, flaky.")

        @OptionGroup var options: LedgerOptions
        @Argument(help: "The earlier run.") var runA: String
        @Argument(help: "The later run.") var runB: String
        @Option(help: "The suite.") var suite: String
        @Flag(help: "Print the differences as JSON.") var json = false
        @OptionGroup var asOf: AsOfOption

        func run() throws {
            try reportingErrors {
                let ledger = try options.openForReadModels()
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
        static let configuration = CommandConfiguration(abstract: "List regressions: each with its last good and first bad run and commit.")

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

    /// `remedy stats`: counts by event type.
    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Count the ledger's events by type.")

        @OptionGroup var options: LedgerOptions
        @Flag(help: "Print the counts as JSON.") var json = false

        func run() throws {
            try reportingErrors {
                let counts = try options.open(.readOnly).eventCountsByType()
                let output = StandardOutput.shared
                if json {
                    output.writeLine(JSONText.object([("by_type", .object(counts.map { ($0.type, .int($0.count)) }))]))
                } else {
                    for (type, count) in counts { output.writeLine(type.padding(24) + String(count)) }
                }
                output.flush()
            }
        }
    }
}

extension String {
    var replacingUnderscores: String { split(separator: "_").joined(separator: " ") }
}
