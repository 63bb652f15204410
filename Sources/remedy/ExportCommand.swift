import ArgumentParser
import AuditBundle
import Events
import LedgerStore
import ReadViews
import RemediationLoop

extension Remedy {
    /// `remedy export`: an audit bundle an auditor verifies offline.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write a signed, deterministic audit bundle (.tar.gz) of the ledger's events, proofs, policies and read models.",
            discussion: """
            By default every event up to the latest stored checkpoint (sign one with --key, or remedy checkpoint);
            --checkpoint SIZE for an earlier one; --from/--to or --since/--until for a part, with an inclusion
            proof for each event. The same ledger and options give the same bytes. The file appears under its
            name only once complete. Check it with remedy verify-bundle FILE --key VKEY, or with the recipe in
            its README.txt.
            """)

        @OptionGroup var options: LedgerOptions
        @Option(help: ArgumentHelp("The bundle to write.", valueName: "file.tar.gz")) var out: String
        @Option(help: ArgumentHelp("The first position.", valueName: "position")) var from: Int?
        @Option(help: ArgumentHelp("The last position.", valueName: "position")) var to: Int?
        @Option(help: ArgumentHelp("The first time (RFC 3339).", valueName: "time")) var since: String?
        @Option(help: ArgumentHelp("The end time, exclusive (RFC 3339).", valueName: "time")) var until: String?
        @Option(help: ArgumentHelp("Every event up to the stored checkpoint of this size.", valueName: "size")) var checkpoint: Int?
        @Option(help: ArgumentHelp("Sign a checkpoint of the current head with this key first.", valueName: "file")) var key: String?
        @Flag(help: "Replace the bundle if the file exists.") var force = false
        @Flag(help: "Print the result as JSON.") var json = false

        func validate() throws {
            let byPosition = from != nil || to != nil, byTime = since != nil || until != nil
            if [byPosition, byTime, checkpoint != nil].filter({ $0 }).count > 1 {
                throw ValidationError("choose one of --from/--to, --since/--until or --checkpoint")
            }
            if byPosition && (from == nil || to == nil) { throw ValidationError("--from and --to go together") }
            if key != nil && checkpoint != nil { throw ValidationError("--key signs the current head; --checkpoint names an older one: not both") }
        }

        struct Output: Encodable {
            var bundle: String
            var bytes: Int
            var origin: String
            var from: Int
            var to: Int
            var events: Int
            var treeSize: Int
            var root: String
            var eventsAfterCheckpoint: Int
        }

        func run() throws {
            try reportingErrors {
                let signer = try key.map { try NoteSignerKey.read(from: $0) }
                let range: ExportRange
                if let from, let to {
                    range = .positions(from: from, to: to)
                } else if since != nil || until != nil {
                    range = .times(since: try since.map { try Timestamp(parsing: $0) }, until: try until.map { try Timestamp(parsing: $0) })
                } else if let checkpoint {
                    range = .checkpoint(size: checkpoint)
                } else {
                    range = .latestCheckpoint
                }
                let ledger = signer == nil ? try options.openForReadModels() : try options.openStore(.readWrite)
                if let signer { try ledger.signCheckpoint(with: signer) }
                let showProgress = StandardError.isTerminal
                let summary = try BundleExporter(ledger: ledger, projections: ReadModels.all).export(range, to: out, replacing: force) { done in
                    if showProgress { StandardError.write("\rexporting: \(done) events") }
                }
                if showProgress { StandardError.write("\r\u{1B}[K") }
                let manifest = summary.manifest
                if json {
                    try JSONOutput.print(Output(bundle: out, bytes: summary.bytes, origin: manifest.origin, from: manifest.range.from,
                                                to: manifest.range.to, events: manifest.events.count, treeSize: manifest.tree.size,
                                                root: manifest.tree.root, eventsAfterCheckpoint: summary.eventsAfterCheckpoint))
                } else {
                    StandardOutput.shared.writeLine("wrote \(out): events \(manifest.range.from)-\(manifest.range.to) of the tree of \(manifest.tree.size) signed by its checkpoint (root \(manifest.tree.root)), \(ByteCount.format(summary.bytes))")
                }
                if summary.eventsAfterCheckpoint > 0 {
                    StandardError.line("note: \(summary.eventsAfterCheckpoint) events after the checkpoint are not in the bundle; sign a newer checkpoint (remedy checkpoint --key FILE) to include them")
                }
                StandardOutput.shared.flush()
            }
        }
    }
}
