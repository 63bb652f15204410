import ArgumentParser
import LedgerStore

extension Remedy {
    /// `remedy key`: signing keys for checkpoints.
    struct KeyCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "key",
            abstract: "Manage the Ed25519 keys that sign checkpoints.",
            subcommands: [Generate.self])

        /// `remedy key generate`: a new signing key in a file, its verifier key on stdout.
        struct Generate: ParsableCommand {
            static let configuration = CommandConfiguration(
            commandName: "generate",
                abstract: "Write a new signing key to a file (mode 0600, never overwritten) and print its verifier key.",
                discussion: """
                The key file holds the C2SP signed-note signer form (PRIVATE+KEY+name+id+key); keep it secret.
                The printed verifier key (name+id+key) is what auditors pass to verify-bundle --key.
                The key's name defaults to the ledger's origin.
                """)

            @OptionGroup var options: LedgerOptions
            @Option(help: ArgumentHelp("The new key file.", valueName: "file")) var out: String
            @Option(help: ArgumentHelp("The key's name (default: the ledger's origin).", valueName: "name")) var name: String?
            @Flag(help: "Print the result as JSON.") var json = false

            struct Output: Encodable {
                var keyFile: String
                var name: String
                var verifierKey: String
            }

            func run() throws {
                try reportingErrors {
                    let keyName = try name ?? options.openStore(.readOnly).origin()
                    let key = try NoteSignerKey(generatingFor: keyName)
                    try key.write(to: out)
                    if json {
                        try JSONOutput.print(Output(keyFile: out, name: keyName, verifierKey: key.verifier.text))
                    } else {
                        StandardOutput.shared.writeLine(key.verifier.text)
                        StandardError.line("wrote the signing key \(out) (keep it secret); the line above is its verifier key")
                    }
                    StandardOutput.shared.flush()
                }
            }
        }
    }
}
