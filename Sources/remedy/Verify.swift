import ArgumentParser
import LedgerStore

extension Remedy {
    /// `remedy verify`: re-hash everything, recompute the root, check for gaps.
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-hash every event, recompute the tree root and check positions, stream versions and the file.",
            discussion: "Exits 0 and prints the verified size and root, or exits 1 naming the first position that does not match.")

        @OptionGroup var options: LedgerOptions
        @Flag(help: "Print the result as JSON.") var json = false

        func run() throws {
            try reportingErrors {
                let ledger = try options.open(.readOnly)
                let showProgress = StandardError.isTerminal
                let report = try ledger.verify { checked in
                    if showProgress { StandardError.write("\rverifying: \(checked) events") }
                }
                if showProgress { StandardError.write("\r\u{1B}[K") }
                Self.print(report, json: json)
                if let problem = report.problem {
                    fail("verification failed at \(problem)", .verificationFailed)
                }
            }
        }

        static func print(_ report: VerificationReport, json: Bool) {
            let output = StandardOutput.shared
            if json {
                output.writeLine(JSONText.object([
                    ("valid", .bool(report.isValid)), ("verified_size", .int(report.verifiedSize)),
                    ("root", .string(report.root.hex)),
                    ("first_bad_position", report.problem?.position.map { .int($0) } ?? .null),
                    ("problem", report.problem.map { .string($0.message) } ?? .null),
                ]))
            } else if report.isValid {
                output.writeLine("verified \(report.verifiedSize) events; root \(report.root.hex)")
            }
            output.flush()
        }
    }
}
