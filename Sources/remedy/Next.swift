import ArgumentParser
import Events
import LedgerStore
import RemediationLoop

extension Remedy {
    /// `remedy next`: what the loop must do now.
    struct Next: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "next", abstract: "List what the loop must do now: regressions first, then oldest first.")

        @OptionGroup var options: LedgerOptions
        @Flag(help: "Print the queue as JSON.") var json = false
        @OptionGroup var asOf: AsOfOption

        func run() throws {
            try reportingErrors {
                let ledger = try options.openForReadModels()
                let position = try asOf.position(in: ledger)
                // As of a point, quarantines expire by that point's clock, not today's.
                let now = try AsOfOption.clock(at: position, in: ledger)
                let items = try NextQueue.items(ReadModelView(ledger: ledger, asOf: position), now: now)
                let output = StandardOutput.shared
                if json {
                    output.writeLine(JSONText.object([("items", .array(items.map { item in
                        .object([("kind", .string(item.kind.rawValue)), ("subject", .string(item.subject)), ("suite", .string(item.suite)),
                                 ("case", item.case.map { .string($0) } ?? .null), ("action", .string(item.action)),
                                 ("must_include", .array(item.mustInclude.map { .string($0) })), ("since", .int(item.since)),
                                 ("since_at", .string(item.sinceAt)), ("age_ms", .int(item.ageMilliseconds)), ("age_runs", .int(item.ageRuns))])
                    }))]))
                } else if items.isEmpty {
                    output.writeLine("nothing to do")
                } else {
                    for item in items {
                        output.writeLine("\(item.kind.rawValue.padding(18))\(item.subject.padding(22))\(humanDuration(milliseconds: item.ageMilliseconds).padding(9))\(item.action)")
                        if !item.mustInclude.isEmpty { output.writeLine(String(repeating: " ", count: 40) + "must include \(item.mustInclude.count) cases") }
                    }
                }
                output.flush()
            }
        }
    }
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: Swift.max(1, width - count)) }
}
