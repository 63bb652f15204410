import ArgumentParser
import Events
import ReadViews
import RemediationLoop

extension Remedy {
    /// `remedy alias OLD NEW`: a renamed case keeps its history.
    struct Alias: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "alias", abstract: "Record that a case was renamed; its history carries over.")
        @OptionGroup var options: LedgerOptions
        @Argument(help: "The old case key.") var old: String
        @Argument(help: "The new case key.") var new: String
        @Option(help: "The case's suite.") var suite: String
        @Option(help: "Who renamed it.") var by: String?
        @Flag(help: "Print the result as JSON.") var json = false

        func run() throws {
            try reportingErrors {
                let alias = try LoopSteps(ledger: try options.openStore(.readWrite)).alias(suite: suite, from: old, to: new, by: by)
                printRecorded(json, "\(alias.from) is now \(alias.to)", alias)
            }
        }
    }

    /// `remedy quarantine CASE --owner --until`: a case whose failures wait for an owner.
    struct Quarantine: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "quarantine", abstract: "Quarantine a case until a date, with an owner (or end it with --end).")
        @OptionGroup var options: LedgerOptions
        @Argument(help: "The case key.") var `case`: String
        @Option(help: "The case's suite.") var suite: String
        @Option(help: "Who owns the quarantine.") var owner: String?
        @Option(help: "When it expires (a date or RFC 3339 time).") var until: String?
        @Option(help: "Why.") var reason: String?
        @Flag(help: "End the case's quarantine instead.") var end = false
        @Flag(help: "Extend the case's quarantine to --until (with --owner, hand it to another owner).") var extend = false
        @Flag(help: "Print the result as JSON.") var json = false

        func validate() throws {
            if end && extend { throw ValidationError("--end and --extend cannot go together") }
            if extend && until == nil { throw ValidationError("--extend needs --until") }
            if !end && !extend && (owner == nil || until == nil) { throw ValidationError("a quarantine needs --owner and --until (or --end to end one)") }
        }

        func run() throws {
            try reportingErrors {
                let steps = LoopSteps(ledger: try options.openStore(.readWrite))
                if end {
                    let ended = try steps.endQuarantine(suite: suite, case: self.case, by: owner)
                    printRecorded(json, "ended the quarantine of \(ended.case)", ended)
                } else if extend {
                    let started = try steps.extendQuarantine(suite: suite, case: self.case, until: until!, owner: owner, reason: reason, now: Timestamp.now())
                    printRecorded(json, "extended the quarantine of \(started.case) to \(started.until) (owner \(started.owner))", started)
                } else {
                    let started = try steps.quarantine(suite: suite, case: self.case, owner: owner!, until: until!, reason: reason, now: Timestamp.now())
                    printRecorded(json, "quarantined \(started.case) until \(started.until) (owner \(started.owner))", started)
                }
            }
        }
    }
}
