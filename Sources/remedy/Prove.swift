import ArgumentParser
import Events
import LedgerStore

extension Remedy {
    /// `remedy prove`: inclusion and consistency proofs.
    struct Prove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "prove",
            abstract: "Print an inclusion or a consistency proof (RFC 9162) of the ledger's tree.",
            subcommands: [Inclusion.self, Consistency.self])

        /// `remedy prove inclusion`: one event's proof, as a C2SP tlog-proof.
        struct Inclusion: ParsableCommand {
            static let configuration = CommandConfiguration(
            commandName: "inclusion",
                abstract: "Prove that an event is in the tree signed by a checkpoint (C2SP tlog-proof text, or --json).",
                discussion: """
                The text form needs a stored checkpoint of the tree size: by default the latest one, which must
                cover the event; --size N names another. --json works for any size, with "checkpoint": null when
                none is stored.
                """)

            @OptionGroup var options: LedgerOptions
            @Argument(help: ArgumentHelp("The event's position or id.", valueName: "position|event-id")) var event: String
            @Option(help: ArgumentHelp("The tree size to prove it in.", valueName: "n")) var size: Int?
            @Flag(help: "Print the result as JSON.") var json = false

            struct Output: Encodable {
                var position: Int
                var index: Int
                var eventId: String
                var treeSize: Int
                var root: String
                var leafHash: String
                var hashes: [String]
                @NullEncoded var checkpoint: String?
            }

            func run() throws {
                try reportingErrors {
                    let ledger = try options.openStore(.readOnly)
                    let stored = try Int(event).map { try ledger.event(position: $0) } ?? ledger.event(id: try EventID(event))
                    let checkpoint = try size.map { try ledger.checkpoint(size: $0) } ?? ledger.latestCheckpoint()
                    let treeSize = size ?? checkpoint?.checkpoint.size ?? 0
                    if !json {
                        guard let checkpoint, checkpoint.checkpoint.size >= stored.position else {
                            throw LedgerError(.eventNotFound, size.map { "no checkpoint of size \($0) is stored: the proof text needs one (or use --json)" }
                                              ?? "no stored checkpoint covers position \(stored.position): sign one with remedy checkpoint --key FILE")
                        }
                        let proof = try ledger.inclusionProof(position: stored.position, size: checkpoint.checkpoint.size)
                        try ledger.checkConsistency(with: checkpoint)
                        StandardOutput.shared.write(String(decoding: TlogProof(index: proof.index, hashes: proof.hashes, checkpoint: checkpoint.bytes).bytes, as: UTF8.self))
                    } else {
                        let proof = try ledger.inclusionProof(position: stored.position, size: treeSize == 0 ? nil : treeSize)
                        let root = try ledger.treeHead(size: proof.size).root
                        let note = checkpoint.flatMap { $0.checkpoint.size == proof.size ? String(decoding: $0.bytes, as: UTF8.self) : nil }
                        try JSONOutput.print(Output(position: stored.position, index: proof.index, eventId: stored.id, treeSize: proof.size,
                                                    root: root.hex, leafHash: proof.leafHash.hex, hashes: proof.hashes.map(\.hex), checkpoint: note))
                    }
                    StandardOutput.shared.flush()
                }
            }
        }

        /// `remedy prove consistency`: the tree of N events extends the tree of M.
        struct Consistency: ParsableCommand {
            static let configuration = CommandConfiguration(
            commandName: "consistency",
                abstract: "Prove that the tree of --to events (default: all) extends the tree of --from events.",
                discussion: "Text form: a header line, from M, to N, then one base64 hash a line; --json gives hex.")

            @OptionGroup var options: LedgerOptions
            @Option(help: ArgumentHelp("The earlier tree size.", valueName: "m")) var from: Int
            @Option(help: ArgumentHelp("The later tree size (default: the ledger's).", valueName: "n")) var to: Int?
            @Flag(help: "Print the result as JSON.") var json = false

            struct Output: Encodable {
                var from: Int
                var to: Int
                var fromRoot: String
                var toRoot: String
                var hashes: [String]
            }

            func run() throws {
                try reportingErrors {
                    let ledger = try options.openStore(.readOnly)
                    let proof = try ledger.consistencyProof(from: from, to: to)
                    if json {
                        try JSONOutput.print(Output(from: proof.from, to: proof.to, fromRoot: try ledger.treeHead(size: proof.from).root.hex,
                                                    toRoot: try ledger.treeHead(size: proof.to).root.hex, hashes: proof.hashes.map(\.hex)))
                    } else {
                        StandardOutput.shared.write(String(decoding: proof.text, as: UTF8.self))
                    }
                    StandardOutput.shared.flush()
                }
            }
        }
    }
}
