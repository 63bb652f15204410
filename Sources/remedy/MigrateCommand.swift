import ArgumentParser
import LedgerStore

extension Remedy {
    /// `remedy migrate`: a whole ledger copied into an empty one, between a SQLite file and a
    /// PostgreSQL ledger, either way.
    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrate",
            abstract: "Copy a whole ledger into an empty one: a SQLite file to PostgreSQL, or back.",
            discussion: """
            Every event is copied byte for byte at its position, with every signed checkpoint, in one
            transaction; the copy must then have the source's tree head and verify. The target is created
            with the source's origin when missing, and must hold no events. Read models are not copied:
            the target builds its own on first use.
              remedy migrate --from ci.db --to postgres://ci@db.internal/ledger?schema=evals
              remedy migrate --from postgres://ci@db.internal/ledger --to copy.db
            """)

        @Option(help: ArgumentHelp("The ledger to copy: a file or a postgres:// address (default: $REMEDY_LEDGER, else .remedy/ledger.db).",
                                   valueName: "ledger"))
        var from: String?
        @Option(help: ArgumentHelp("The empty ledger to copy into: a file or a postgres:// address.", valueName: "ledger"))
        var to: String
        @Flag(help: "Print the result as JSON.") var json = false

        struct Output: Encodable {
            var from: String
            var to: String
            var origin: String
            var events: Int
            var checkpoints: Int
            var treeSize: Int
            var root: String
        }

        func run() throws {
            try reportingErrors {
                let sourceName = from ?? LedgerPath.resolve(explicit: nil).path
                let source = try LedgerAddress(sourceName).open(.readOnly)
                let target = try LedgerAddress(to).open(.readWrite, create: .ifMissing(origin: try source.origin()))
                let showProgress = StandardError.isTerminal
                let summary = try LedgerCopy.copy(from: source, to: target, progress: { done in
                    if showProgress { StandardError.write("\rmigrating: \(done) events") }
                })
                if showProgress { StandardError.write("\r\u{1B}[K") }
                let (fromText, toText) = (LedgerAddress(sourceName).description, LedgerAddress(to).description)
                if json {
                    try JSONOutput.print(Output(from: fromText, to: toText, origin: summary.origin, events: summary.events,
                                                checkpoints: summary.checkpoints, treeSize: summary.treeHead.size, root: summary.treeHead.root.hex))
                } else {
                    StandardOutput.shared.writeLine("migrated \(summary.events) events and \(summary.checkpoints) checkpoints from \(fromText) to \(toText); verified, root \(summary.treeHead.root.hex)")
                }
                StandardOutput.shared.flush()
            }
        }
    }
}
