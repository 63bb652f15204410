import ArgumentParser
import Events
import LedgerStore
import Projections
import ReadViews
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
                let view = ReadModelView(ledger: ledger, asOf: position)
                let history = try ReadViews.CaseHistory.read(key, suite: suite, in: view, now: now)
                let output = StandardOutput.shared
                if json {
                    var printed = Output(history)
                    printed.evidence = try CaseEvidence.latestFailing(suite: history.row.suite, case: history.row.caseKey, in: view).map(AttemptEvidence.init)
                    try JSONOutput.print(printed)
                } else {
                    let row = history.row
                    var pairs: [(String, String)] = [("suite", row.suite), ("case key", row.caseKey), ("status", row.condition.rawValue)]
                    let optional: [(String, String?)] = [
                        ("open failure", history.openFailure), ("last run", row.lastRun), ("last result", row.lastResult?.rawValue),
                        ("previous result", row.previousResult?.rawValue),
                    ]
                    pairs += optional.compactMap { label, value in value.map { (label, $0) } }
                    pairs += [("runs", String(row.runs)), ("flips", String(row.flips))]
                    let streaks: [(String, String?)] = [
                        ("first failing run", row.firstFailingRun), ("first failing commit", row.firstFailingCommit),
                        ("last passing run", row.lastPassingRun), ("last passing commit", row.lastPassingCommit),
                        ("quarantined until", row.quarantinedUntil),
                    ]
                    pairs += streaks.compactMap { label, value in value.map { (label, $0) } }
                    pairs += [("flaky", row.isFlaky ? "yes" : "no"), ("first at", row.firstAt)]
                    pairs.append(("age", "\(history.ageRuns) runs, \(humanDuration(milliseconds: history.ageMilliseconds))"))
                    pairs.append(("flip rate", history.flipRate ?? "-"))
                    output.write(Table.keyValue(pairs))
                    output.writeLine("timeline (its first result, then every change)")
                    for entry in history.timeline { output.writeLine("  run \(entry.runID) attempt \(entry.attempt): \(entry.result)") }
                }
                output.flush()
            }
        }

        /// `--json`: the case's `cases` columns, its open failure, age, flip rate (a number,
        /// `null` under two runs) and timeline.
        struct Output: Encodable {
            var suite: String
            var caseKey: String
            var status: CaseCondition
            @NullEncoded var openFailure: String?
            @NullEncoded var lastRun: String?
            @NullEncoded var lastResult: CaseStatus?
            @NullEncoded var previousResult: CaseStatus?
            var runs: Int
            var flips: Int
            @NullEncoded var firstFailingRun: String?
            @NullEncoded var firstFailingCommit: String?
            @NullEncoded var lastPassingRun: String?
            @NullEncoded var lastPassingCommit: String?
            var flaky: Bool
            @NullEncoded var quarantinedUntil: String?
            var firstPosition: Int
            var lastPosition: Int
            var firstAt: String
            var ageRuns: Int
            var ageMs: Int
            @NullEncoded var flipRate: Double?
            var timeline: [Entry]
            /// The attempts of its last run when it failed there, with their evidence.
            var evidence: [AttemptEvidence] = []

            struct Entry: Encodable {
                var run: String
                var attempt: Int
                var result: CaseStatus
            }

            init(_ history: ReadViews.CaseHistory) {
                let row = history.row
                suite = row.suite
                caseKey = row.caseKey
                status = row.condition
                openFailure = history.openFailure
                lastRun = row.lastRun
                lastResult = row.lastResult
                previousResult = row.previousResult
                runs = row.runs
                flips = row.flips
                firstFailingRun = row.firstFailingRun
                firstFailingCommit = row.firstFailingCommit
                lastPassingRun = row.lastPassingRun
                lastPassingCommit = row.lastPassingCommit
                flaky = row.isFlaky
                quarantinedUntil = row.quarantinedUntil
                firstPosition = row.firstPosition
                lastPosition = row.lastPosition
                firstAt = row.firstAt
                ageRuns = history.ageRuns
                ageMs = history.ageMilliseconds
                flipRate = JSONOutput.number(history.flipRate)
                timeline = history.timeline.map { Entry(run: $0.runID, attempt: $0.attempt, result: $0.result) }
            }
        }
    }
}
