import ArgumentParser
import Events
import LedgerStore
import Projections
import RemediationLoop

extension Remedy {
    /// `remedy case CASE`: a case's status, history and timeline.
    struct CaseHistory: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "case", abstract: "Show a case's status now, when it first failed and last passed, and its timeline.")

        @OptionGroup var options: LedgerOptions
        @Argument(help: "The case key.") var key: String
        @Option(help: "The case's suite (when several have it).") var suite: String?
        @Flag(help: "Print the case as JSON.") var json = false
        @OptionGroup var asOf: AsOfOption

        func run() throws {
            try reportingErrors {
                let ledger = try options.openForReadModels()
                let position = try asOf.position(in: ledger)
                let now = try AsOfOption.clock(at: position, in: ledger)
                let history = try RemediationLoop.CaseHistory.read(key, suite: suite, in: ReadModelView(ledger: ledger, asOf: position), now: now)
                let output = StandardOutput.shared
                if json {
                    var members = history.columns.map { ($0.name, JSONText.Value($0.value)) }
                    members += [("age_runs", .int(history.ageRuns)), ("age_ms", .int(history.ageMilliseconds)), ("flip_rate", .string(history.flipRate))]
                    members.append(("timeline", .array(history.timeline.map { .object([("run", .string($0.run)), ("attempt", .int($0.attempt)), ("result", .string($0.result))]) })))
                    output.writeLine(JSONText.object(members))
                } else {
                    var pairs = history.columns.filter { $0.value != .null }.map { ($0.name.replacingUnderscores, $0.value.description) }
                    pairs.append(("age", "\(history.ageRuns) runs, \(humanDuration(milliseconds: history.ageMilliseconds))"))
                    pairs.append(("flip rate", history.flipRate.isEmpty ? "-" : history.flipRate))
                    output.write(Table.keyValue(pairs))
                    output.writeLine("timeline (its first result, then every change)")
                    for entry in history.timeline { output.writeLine("  run \(entry.run) attempt \(entry.attempt): \(entry.result)") }
                }
                output.flush()
            }
        }
    }
}
