import ArgumentParser
import LedgerStore

extension Remedy {
    /// `remedy init`: create a ledger and give it its permanent origin.
    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create a ledger and give it a permanent origin (the name its checkpoints carry).",
            discussion: """
            Only init, demo and --init on append and ingest create a ledger: every other command on a
            missing ledger exits 5. Run again on an existing ledger, init changes nothing and prints its
            origin; an --origin other than the ledger's is refused (exit 4).
            """)

        @OptionGroup var options: LedgerOptions
        @Option(help: ArgumentHelp("The ledger's origin, e.g. ci.example.com/acme/evals (default: remedy.ledger/ and a random id).", valueName: "name"))
        var origin: String?
        @Flag(help: "Print the result as JSON.") var json = false

        func validate() throws {
            if let origin {
                do { try LedgerOrigin.validate(origin) } catch let error as LedgerError { throw ValidationError(error.message) }
            }
        }

        struct Output: Encodable {
            var ledger: String
            var origin: String
            var created: Bool
        }

        func run() throws {
            try reportingErrors {
                let location = LedgerPath.resolve(explicit: options.ledger)
                let existed = Ledger.exists(location)
                let ledger = try options.openStore(.readWrite, create: .ifMissing(origin: origin))
                let actual = try ledger.origin()
                if let origin, origin != actual {
                    throw LedgerError(.conflict, "the ledger \(location.path) exists with origin \(actual); an origin is permanent")
                }
                let output = Output(ledger: location.path, origin: actual, created: !existed)
                if json {
                    try JSONOutput.print(output)
                } else {
                    StandardOutput.shared.writeLine(existed ? "ledger \(location.path) exists; origin \(actual)" : "created ledger \(location.path); origin \(actual)")
                }
                StandardOutput.shared.flush()
            }
        }
    }
}
