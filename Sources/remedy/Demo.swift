#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import ArgumentParser
import Events
import LedgerStore
import Projections
import DemoStory
import ReadViews
import RemediationLoop

extension Remedy {
    /// `remedy demo`: play the avalanche-forecast story into a new ledger and show the result.
    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "demo",
            abstract: "Play a remediation story from shipped reports into a new ledger; print the decisions, guards, queue, status and verification.",
            discussion: """
            The story's report files, and without --ledger the demo ledger too, go in a new temporary folder that is
            removed when the demo ends, so it never touches .remedy/. Pass --ledger PATH (or a postgres:// address) to keep
            the ledger and explore it.
            """)

        @Option(help: ArgumentHelp("Where to build the demo ledger, to keep it (a new file; default: a temporary one).", valueName: "path"))
        var ledger: String?
        @Flag(help: "Let `remedy loop run` and the example handlers (examples/loop; python3 and sh) play the loop's part.")
        var loop = false

        func run() throws {
            try reportingErrors {
                let folder = try Self.temporaryFolder()
                defer { try? FileManager.default.removeItem(atPath: folder) }
                let store = try LedgerAddress(ledger ?? folder + "/ledger.db").open(.readWrite, create: .ifMissing())
                if try store.treeHead().size > 0 {
                    throw LoopError(.invalidState, "the demo needs a new ledger, and \(store.locationDescription) has events; choose another --ledger")
                }
                let played = loop
                    ? try AvalancheStory.playLoop(into: store, address: ledger ?? folder + "/ledger.db", folder: folder)
                    : try AvalancheStory.play(into: store, reportsFolder: folder)
                let output = StandardOutput.shared
                output.writeLine(ledger == nil ? "demo ledger: a temporary one, removed when the demo ends (--ledger PATH keeps one)\n"
                                                : "demo ledger: \(store.locationDescription)\n")
                output.writeLine("the story (suite \(AvalancheStory.suite)):")
                for step in played.steps { output.writeLine("  \(step)") }

                let view = ReadModelView(ledger: store)
                output.writeLine("\ngate decisions:")
                for decision in played.decisions {
                    output.writeLine("  \(decision.fix.padding(18))\(decision.decision.rawValue.padding(12))\(decision.invariant ?? decision.rule)")
                }
                if loop, let evidence = try? InputFile.readPayload(path: folder + "/reviews/danger-threshold.md") {
                    output.writeLine("\nthe evidence the review handler posted (reviews/danger-threshold.md):")
                    for line in String(decoding: evidence, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
                        output.writeLine("  " + line)
                    }
                }
                output.writeLine("\nregression guards:")
                for row in try view.rows(GuardRow.self) {
                    output.writeLine("  \(row.caseKey.padding(42))\(row.state) since run \(row.sinceRun), fix \(row.fix ?? "-")")
                }
                output.writeLine("\nskill health (remedy health):")
                for health in try SkillHealth.read(from: view) {
                    output.writeLine("  \(health.skill.padding(20))\(health.status.rawValue.padding(10))\(health.rule)")
                }
                output.writeLine("\nnext (remedy next):")
                for item in try NextQueue.items(view, now: Timestamp.now()) {
                    output.writeLine("  \(item.kind.rawValue.padding(12))\(item.subject.padding(12))\(item.action)")
                }
                output.writeLine("")
                output.write(Status.text(try store.status()))
                output.writeLine("")
                let report = try store.verify()
                Verify.print(report, json: false)
                if let problem = report.problem {
                    throw LedgerError(.verificationFailed, "verification failed at \(problem)")
                }
            }
        }

        private static func temporaryFolder() throws -> String {
            let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
            var template = Array("\(base)/remedy-demo-XXXXXX".utf8CString)
            guard let folder = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
                throw LedgerError(.storage, "cannot create a temporary folder in \(base)")
            }
            return String(cString: folder)
        }
    }
}
