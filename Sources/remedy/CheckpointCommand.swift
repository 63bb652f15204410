import ArgumentParser
import LedgerStore

extension Remedy {
    /// `remedy checkpoint`: sign the tree head, or show a stored checkpoint.
    struct CheckpointCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "checkpoint",
            abstract: "Sign the current tree head as a C2SP checkpoint and store it, or show a stored one.",
            discussion: """
            --key FILE signs the head with a signing key (remedy key generate) and prints the signed note;
            it refuses a head that does not extend the last stored checkpoint (exit 1). --show prints the
            latest stored checkpoint, or the one of --size N, byte for byte.
            """)

        @OptionGroup var options: LedgerOptions
        @Option(help: ArgumentHelp("The signing key file.", valueName: "file")) var key: String?
        @Flag(help: "Print a stored checkpoint instead of signing one.") var show = false
        @Option(help: ArgumentHelp("With --show: the checkpoint of this tree size.", valueName: "n")) var size: Int?
        @Flag(help: "Print the result as JSON.") var json = false

        func validate() throws {
            if show == (key != nil) { throw ValidationError("give --key FILE to sign a checkpoint, or --show to print one") }
            if size != nil && !show { throw ValidationError("--size goes with --show") }
        }

        struct Output: Encodable {
            var origin: String
            var treeSize: Int
            var root: String
            var note: String
        }

        func run() throws {
            try reportingErrors {
                let signed: SignedCheckpoint
                if let key {
                    let signer = try NoteSignerKey.read(from: key)
                    signed = try options.openStore(.readWrite).signCheckpoint(with: signer)
                } else {
                    let ledger = try options.openStore(.readOnly)
                    guard let found = try size.map({ try ledger.checkpoint(size: $0) }) ?? ledger.latestCheckpoint() else {
                        throw LedgerError(.eventNotFound, size.map { "no checkpoint of size \($0) is stored" }
                                          ?? "no checkpoint is stored: sign one with remedy checkpoint --key FILE")
                    }
                    signed = found
                }
                if json {
                    try JSONOutput.print(Output(origin: signed.checkpoint.origin, treeSize: signed.checkpoint.size,
                                                root: signed.checkpoint.root.hex, note: String(decoding: signed.bytes, as: UTF8.self)))
                } else {
                    StandardOutput.shared.write(String(decoding: signed.bytes, as: UTF8.self))
                }
                StandardOutput.shared.flush()
            }
        }
    }
}
