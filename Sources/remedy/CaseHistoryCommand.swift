import ArgumentParser
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
                let view = ReadModelView(ledger: ledger, asOf: position)
                let matches = try view.rows(CaseHistoryProjection.cases, matching: [("case_key", .text(key))] + (suite.map { [("suite", .text($0))] } ?? []))
                guard let row = matches.first else { throw LoopError(.notFound, "no case \(key)\(suite.map { " in suite \($0)" } ?? "")") }
                guard matches.count == 1 else {
                    throw LoopError(.invalidArgument, "\(key) is a case in several suites (\(matches.compactMap { $0[0].text }.joined(separator: ", "))); pass --suite")
                }
                let timeline = try view.rows(CaseHistoryProjection.timeline, matching: [("suite", row[0]), ("case_key", row[1])])
                let columns = CaseHistoryProjection.cases.columns
                let output = StandardOutput.shared
                if json {
                    var members = zip(columns, row).map { ($0.0.name, JSONText.Value($0.1)) }
                    members.append(("timeline", .array(timeline.map { .object([("run", JSONText.Value($0[3])), ("attempt", JSONText.Value($0[4])), ("result", JSONText.Value($0[5]))]) })))
                    output.writeLine(JSONText.object(members))
                } else {
                    output.write(Table.keyValue(zip(columns, row).filter { $0.1 != .null }.map { ($0.0.name.replacingUnderscores, $0.1.description) }))
                    output.writeLine("timeline (its first result, then every change)")
                    for entry in timeline { output.writeLine("  run \(entry[3]) attempt \(entry[4]): \(entry[5])") }
                }
                output.flush()
            }
        }
    }
}
