import ArgumentParser
import Events
import LedgerStore
import ReadViews
import RemediationLoop

extension Remedy {
    /// `remedy next`: what the loop must do now.
    struct Next: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "next", abstract: "List what the loop must do now: regressions first, then oldest first.")

        @OptionGroup var options: LedgerOptions
        @Option(help: "At most this many items (the first in queue order).") var limit: Int?
        @Option(help: "Only this suite's items.") var suite: String?
        @Option(help: "Only items of this skill (a failure's case's, a fix's first failure's).") var skill: String?
        @Flag(help: "Print the queue as JSON.") var json = false
        @OptionGroup var asOf: AsOfOption

        func validate() throws {
            if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        /// `--json`: the items listed, and how many the filters select in all.
        struct Output: Encodable {
            var total: Int
            var items: [Item]

            struct Item: Encodable {
                var kind: QueueItemKind
                var subject: String
                var suite: String
                @NullEncoded var `case`: String?
                @NullEncoded var skill: String?
                var action: String
                var mustInclude: [String]
                /// A failing case's last attempts with their evidence (failures only).
                var evidence: [AttemptEvidence]
                var since: Int
                var sinceAt: String
                var ageMs: Int
                var ageRuns: Int
            }
        }

        func run() throws {
            try reportingErrors {
                let ledger = try options.openForReadModels()
                let position = try asOf.position(in: ledger)
                // As of a point, quarantines expire by that point's clock, not today's.
                let now = try AsOfOption.clock(at: position, in: ledger)
                let (items, total) = try NextQueue.page(ReadModelView(ledger: ledger, asOf: position), now: now,
                                                        filter: NextQueue.Filter(suite: suite, skill: skill, limit: limit))
                let output = StandardOutput.shared
                if json {
                    let view = ReadModelView(ledger: ledger, asOf: position)
                    try JSONOutput.print(Output(total: total, items: try items.map { item in
                        let evidence = try item.case.map { key in
                            item.kind == .quarantineExpired ? [] : try CaseEvidence.latestFailing(suite: item.suite, case: key, in: view)
                        } ?? []
                        return Output.Item(kind: item.kind, subject: item.subject, suite: item.suite, case: item.case, skill: item.skill,
                                           action: item.action, mustInclude: item.mustInclude, evidence: evidence.map(AttemptEvidence.init),
                                           since: item.since, sinceAt: item.sinceAt, ageMs: item.ageMilliseconds, ageRuns: item.ageRuns)
                    }))
                } else if items.isEmpty {
                    output.writeLine("nothing to do")
                } else {
                    for item in items {
                        output.writeLine(item.kind.rawValue.padding(18) + item.subject.padding(22) + item.suite.padding(20)
                                         + humanDuration(milliseconds: item.ageMilliseconds).padding(9) + item.action)
                        if !item.mustInclude.isEmpty { output.writeLine(String(repeating: " ", count: 60) + "must include \(item.mustInclude.count) cases") }
                    }
                    if total > items.count { output.writeLine("... and \(total - items.count) more (--limit \(total) lists them all)") }
                }
                output.flush()
            }
        }
    }
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: Swift.max(1, width - count)) }
}
