#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Events
import LedgerStore
import LoopRunner
import PostgresStore
import ReadViews
import RemediationLoop

extension Remedy {
    /// `remedy loop`: the loop driven by remedy through the team's handlers.
    struct LoopCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "loop",
            abstract: "Run the loop: move each queue item through the team's handlers, within the autonomy policy.",
            subcommands: [Run.self, Status.self])

        /// `remedy loop run`.
        struct Run: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "run",
                abstract: "Move each item of the queue as far as it goes without a person, calling the configured handlers.",
                discussion: """
                Each step is leased in the ledger before its handler runs, and recorded with the handler's answer in one \
                transaction: a killed run resumes without repeating a recorded step, and two runs never take one item. \
                Exits 0 once no item can move without a person, a run or a retry time.
                """)

            @OptionGroup var options: LedgerOptions
            @Option(help: ArgumentHelp("The loop config (default: .remedy/loop.json when present, else the standard config).", valueName: "file"))
            var config: String?
            @Option(name: .customLong("max-items"), help: "Move at most this many items.") var maxItems: Int?
            @Option(help: "Move only this item (a failure or fix id).") var item: String?
            @Flag(name: .customLong("dry-run"), help: "Print what would run; run and record nothing.") var dryRun = false
            @Flag(help: "Print what was done as JSON.") var json = false

            func validate() throws {
                if let maxItems, maxItems < 1 { throw ValidationError("--max-items must be at least 1") }
            }

            func run() throws {
                try reportingErrors {
                    let loopConfig = try LoopCommand.loadConfig(config)
                    let ledger = try options.openStore(.readWrite)
                    var request = LoopRunner.Request(config: loopConfig, ledgerAddress: LoopCommand.address(options))
                    request.maxItems = maxItems
                    request.item = item
                    request.dryRun = dryRun
                    request.skills = try SkillMap.forIngest(path: nil, store: ledger)
                    request.progress = { StandardError.line("loop: " + $0) }
                    let report = try LoopRunner.run(request, ledger: ledger)
                    if json {
                        try JSONOutput.print(Output(report))
                    } else {
                        StandardOutput.shared.write(Self.text(report))
                    }
                    StandardOutput.shared.flush()
                }
            }

            /// `--json`: every step taken, and what each item waits for now.
            struct Output: Encodable {
                var dryRun: Bool
                var itemsMoved: Int
                var steps: [Step]
                var waiting: [Waiting]

                struct Step: Encodable {
                    var item: String
                    var step: String
                    @NullEncoded var attempt: Int?
                    var result: String
                    @NullEncoded var failure: HandlerFailure?
                    var detail: String
                    @NullEncoded var durationMs: Int?
                    @NullEncoded var retryAt: String?
                }

                struct Waiting: Encodable {
                    var item: String
                    var waitsFor: String
                }

                init(_ report: LoopRunner.Report) {
                    dryRun = report.dryRun
                    itemsMoved = report.itemsMoved
                    steps = report.steps.map {
                        Step(item: $0.item, step: $0.step, attempt: $0.attempt, result: $0.result.rawValue, failure: $0.failure, detail: $0.detail,
                             durationMs: $0.durationMS, retryAt: $0.retryAt)
                    }
                    waiting = report.waiting.map { Waiting(item: $0.item, waitsFor: $0.waitsFor) }
                }
            }

            static func text(_ report: LoopRunner.Report) -> String {
                var lines: [String] = []
                if report.steps.isEmpty {
                    lines.append(report.dryRun ? "nothing would run" : "nothing moved")
                } else {
                    lines += Table.render(["item", "step", "attempt", "result", "detail"], report.steps.map {
                        [$0.item, $0.step, $0.attempt.map(String.init) ?? "-", $0.result.rawValue + ($0.failure.map { " (\($0))" } ?? ""), $0.detail]
                    })
                }
                if !report.waiting.isEmpty {
                    lines.append("")
                    lines.append("waiting:")
                    lines += report.waiting.map { "  \($0.item): \($0.waitsFor)" }
                }
                return lines.joined(separator: "\n") + "\n"
            }
        }

        /// `remedy loop status`.
        struct Status: ParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "status", abstract: "Show each queue item's step, failed tries, last handler result and what it waits for.")

            @OptionGroup var options: LedgerOptions
            @Option(help: "Only this item (a failure or fix id).") var item: String?
            @Flag(help: "Print the status as JSON.") var json = false

            struct Output: Encodable {
                var items: [Item]

                struct Item: Encodable {
                    var item: String
                    var kind: QueueItemKind?
                    var state: String
                    @NullEncoded var step: String?
                    var failedAttempts: Int
                    var escalated: Bool
                    @NullEncoded var heldBy: String?
                    @NullEncoded var heldUntil: String?
                    @NullEncoded var lastStep: String?
                    @NullEncoded var lastResult: StepResult?
                    @NullEncoded var lastFailure: HandlerFailure?
                    @NullEncoded var lastMessage: String?
                    @NullEncoded var retryAt: String?
                    var waitsFor: String
                }
            }

            func run() throws {
                try reportingErrors {
                    let ledger = try options.openForReadModels()
                    var queue = try NextQueue.items(ReadModelView(ledger: ledger), now: Timestamp.now()).filter { $0.kind != .quarantineExpired }
                    if let item { queue = queue.filter { $0.subject == item } }
                    var subjects = queue.map(\.subject)
                    if let item, subjects.isEmpty { subjects = [item] }
                    let kinds = Dictionary(queue.map { ($0.subject, $0.kind) }) { first, _ in first }
                    let items = try LoopSteps(ledger: ledger).status(of: subjects).map { status in
                        Self.row(status, kind: kinds[status.item])
                    }
                    if json {
                        try JSONOutput.print(Output(items: items))
                    } else if items.isEmpty {
                        StandardOutput.shared.writeLine("nothing in the queue")
                    } else {
                        StandardOutput.shared.write(Table.render(["item", "step", "failed", "last", "waits for"], items.map {
                            [$0.item, $0.step ?? "-", String($0.failedAttempts) + ($0.escalated ? " (escalated)" : ""),
                             [$0.lastStep, $0.lastResult?.rawValue, $0.lastFailure?.rawValue].compactMap { $0 }.joined(separator: " "),
                             $0.waitsFor]
                        }).joined(separator: "\n") + "\n")
                    }
                    StandardOutput.shared.flush()
                }
            }

            static func row(_ status: LoopSteps.ItemStatus, kind: QueueItemKind?) -> Output.Item {
                let loop = status.loop
                var step: String?
                switch status.step {
                case .handler(let next): step = next.rawValue
                case .gate: step = "gate"
                case .waiting, .closed: step = nil
                }
                return Output.Item(item: status.item, kind: kind, state: LoopState.describe(status.step), step: step,
                                   failedAttempts: loop?.failedAttempts ?? 0, escalated: loop?.escalated ?? false,
                                   heldBy: loop?.open?.holder, heldUntil: loop?.open?.expiresAt, lastStep: loop?.lastEnded?.step.rawValue,
                                   lastResult: loop?.lastEnded?.result, lastFailure: loop?.lastEnded?.failure,
                                   lastMessage: loop?.lastEnded?.message, retryAt: loop?.lastEnded?.retryAt, waitsFor: status.waitsFor)
            }
        }

        /// The ledger as handlers get it (`REMEDY_LEDGER`): a file by its absolute path, so a
        /// handler that changes directory still finds it.
        static func address(_ options: LedgerOptions) -> String {
            let path = LedgerPath.resolve(explicit: options.ledger).path
            guard !path.hasPrefix("/"), !PostgresLocation.isAddress(path) else { return path }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            guard getcwd(&buffer, buffer.count) != nil else { return path }
            return String(cString: buffer) + "/" + path
        }

        /// The config `--config` names, else `.remedy/loop.json` when present, else the standard one.
        static func loadConfig(_ path: String?) throws -> LoopConfig {
            guard let path = path ?? (access(LoopConfig.defaultPath, R_OK) == 0 ? LoopConfig.defaultPath : nil) else {
                return LoopConfig.standard
            }
            return try LoopConfig(text: String(decoding: try InputFile.readPayload(path: path), as: UTF8.self), name: path)
        }
    }
}
