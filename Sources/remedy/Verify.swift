import ArgumentParser
import LedgerStore

extension Remedy {
    /// `remedy verify`: re-hash everything, recompute the root, check for gaps; and that the
    /// ledger extends a checkpoint an auditor kept.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify",
            abstract: "Re-hash every event, recompute the tree root and check positions, stream versions and the file.",
            discussion: """
            Exits 0 and prints the verified size and root, or exits 1 naming the first position that does not match.
            With --checkpoint FILE --key VKEY it also checks that the ledger extends that signed checkpoint (a
            consistency proof from its root to today's), and exits 1 if it does not.
            """)

        @OptionGroup var options: LedgerOptions
        @Option(help: ArgumentHelp("A signed checkpoint kept from earlier: the ledger must extend it.", valueName: "file"))
        var checkpoint: String?
        @Option(help: ArgumentHelp("The verifier key (a file, or name+id+key) the checkpoint must be signed by.", valueName: "vkey"))
        var key: [String] = []
        @Flag(help: "Print the result as JSON.") var json = false

        func validate() throws {
            if checkpoint != nil && key.isEmpty { throw ValidationError("--checkpoint needs --key VKEY: the key that signed it") }
            if checkpoint == nil && !key.isEmpty { throw ValidationError("--key goes with --checkpoint") }
        }

        struct Output: Encodable {
            var valid: Bool
            var verifiedSize: Int
            var root: String
            @NullEncoded var firstBadPosition: Int?
            @NullEncoded var problem: String?
            @NullEncoded var checkpointSize: Int?
            @NullEncoded var extendsCheckpoint: Bool?
        }

        func run() throws {
            try reportingErrors {
                let ledger = try options.openStore(.readOnly)
                // The keys and note are read first: a typo should not cost a full re-hash.
                let keys = try key.map { try NoteVerifierKey.read(fileOrKey: $0) }
                let note = try checkpoint.map { try SignedNote.readFile(path: $0) }
                let showProgress = StandardError.isTerminal
                let report = try ledger.verify { checked in
                    if showProgress { StandardError.write("\rverifying: \(checked) events") }
                }
                if showProgress { StandardError.write("\r\u{1B}[K") }
                var extended: Checkpoint?
                var failure: String?
                if let note, report.isValid {
                    do {
                        extended = try ledger.verifyExtends(checkpointNote: note, trusting: keys)
                    } catch let error as LedgerError where error.code == .verificationFailed || error.code == .conflict {
                        failure = "\(checkpoint!): \(error.message)"
                    }
                }
                Self.print(report, extended: extended, checkpointFailure: failure, json: json)
                if let problem = report.problem {
                    fail("verification failed at \(problem)", .verificationFailed)
                }
                if let failure { fail(failure, .verificationFailed) }
            }
        }

        static func print(_ report: VerificationReport, extended: Checkpoint? = nil, checkpointFailure: String? = nil, json: Bool) {
            let output = StandardOutput.shared
            if json {
                let line = try? JSONOutput.line(Output(
                    valid: report.isValid && checkpointFailure == nil, verifiedSize: report.verifiedSize, root: report.root.hex,
                    firstBadPosition: report.problem?.position, problem: report.problem?.message ?? checkpointFailure,
                    checkpointSize: extended?.size, extendsCheckpoint: extended != nil ? true : checkpointFailure != nil ? false : nil))
                output.writeLine(line ?? "{}")
            } else if report.isValid {
                output.writeLine("verified \(report.verifiedSize) events; root \(report.root.hex)")
                if let extended {
                    output.writeLine("extends the checkpoint of size \(extended.size) (root \(extended.root.hex)), signed by the key given")
                }
            }
            output.flush()
        }
    }
}
