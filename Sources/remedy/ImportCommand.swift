import ArgumentParser
import AuditBundle
import LedgerStore
import PostgresStore

extension Remedy {
    /// `remedy import`: restore a verified bundle, or extend a ledger with one.
    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Restore a verified audit bundle into a new ledger, or extend a ledger that is a prefix of it.",
            discussion: """
            The bundle is verified first (as verify-bundle does, with the keys given); events keep their positions,
            ids, times and hashes, so remedy verify passes and exporting again gives the same bundle. Anything else
            (another origin, a ledger that is not a prefix of the bundle, a bundle that does not verify) is refused
            before a byte is written.
            """)

        @OptionGroup var options: LedgerOptions
        @Argument(help: ArgumentHelp("The bundle (.tar.gz).", valueName: "file")) var file: String
        @Option(help: ArgumentHelp("A verifier key to trust (a file, or name+id+key); repeatable.", valueName: "vkey")) var key: [String] = []
        @Flag(help: "Print the result as JSON.") var json = false

        func validate() throws {
            if key.isEmpty { throw ValidationError("give the verifier key to trust with --key VKEY") }
        }

        struct Output: Encodable {
            var ledger: String
            var origin: String
            var imported: Int
            var alreadyPresent: Int
            var treeSize: Int
            var root: String
            var created: Bool
        }

        func run() throws {
            try reportingErrors {
                let verifier = BundleVerifier(keys: try key.map { try NoteVerifierKey.read(fileOrKey: $0) })
                let location = LedgerPath.resolve(explicit: options.ledger)
                let named = LedgerAddress(location.path).description
                let summary: ImportSummary
                if PostgresLocation.isAddress(location.path) {
                    let address = try PostgresLocation(location.path)
                    let existing = try PostgresLedger.exists(address) ? try PostgresLedger.open(address) : nil
                    summary = try BundleImporter(verifier: verifier).importBundle(file, existing: existing) { origin in
                        try PostgresLedger.open(address, create: .ifMissing(origin: origin))
                    }
                } else {
                    let configuration = LedgerConfiguration(busyTimeoutMilliseconds: Int32((options.busyTimeout * 1000).rounded()))
                    summary = try BundleImporter(verifier: verifier).importBundle(file, into: location, configuration: configuration)
                }
                if json {
                    try JSONOutput.print(Output(ledger: named, origin: summary.origin, imported: summary.imported,
                                                alreadyPresent: summary.alreadyPresent, treeSize: summary.treeHead.size,
                                                root: summary.treeHead.root.hex, created: summary.created))
                } else {
                    StandardOutput.shared.writeLine("imported \(summary.imported) events (\(summary.alreadyPresent) already present) into \(named)\(summary.created ? " (new)" : ""); tree size \(summary.treeHead.size), root \(summary.treeHead.root.hex)")
                }
                StandardOutput.shared.flush()
            }
        }
    }

    /// `remedy backup`: a consistent single-file copy while writers write.
    struct Backup: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "Write a consistent single-file copy of the ledger (no -wal beside it), while writers keep writing.")

        @OptionGroup var options: LedgerOptions
        @Option(help: ArgumentHelp("The copy to write.", valueName: "file")) var out: String
        @Flag(help: "Replace the file if it exists.") var force = false
        @Flag(help: "Print the result as JSON.") var json = false

        struct Output: Encodable {
            var backup: String
            var treeSize: Int
            var root: String
        }

        func run() throws {
            try reportingErrors {
                let ledger = try options.openStore(.readOnly)
                let head = try (ledger as? Ledger)?.backup(to: out, replacing: force) ?? Ledger.backup(of: ledger, to: out, replacing: force)
                if json {
                    try JSONOutput.print(Output(backup: out, treeSize: head.size, root: head.root.hex))
                } else {
                    StandardOutput.shared.writeLine("backed up \(head.size) events to \(out); root \(head.root.hex)")
                }
                StandardOutput.shared.flush()
            }
        }
    }
}
