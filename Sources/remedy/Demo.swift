#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Events
import LedgerStore

extension Remedy {
    /// `remedy demo`: build a small ledger from the shipped demo events, then status and verify.
    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build a demo ledger from the events shipped with remedy, then print its status and verify it.",
            discussion: "Without --ledger the demo ledger goes in a new temporary folder, so it never touches .remedy/.")

        @Option(help: ArgumentHelp("Where to build the demo ledger (default: a new temporary folder).", valueName: "path"))
        var ledger: String?

        func run() throws {
            try reportingErrors {
                let location = try ledger.map { LedgerPath(path: $0) } ?? Self.temporaryLocation()
                let store = try Ledger.open(location, mode: .readWrite)
                let result = try store.appendDemoEvents()
                let output = StandardOutput.shared
                output.writeLine("demo ledger: \(location.path)")
                output.writeLine("appended \(result.appended) events (\(result.duplicates) already present)\n")
                output.write(Status.text(try store.status()))
                output.writeLine("")
                let report = try store.verify()
                Verify.print(report, json: false)
                if let problem = report.problem {
                    fail("verification failed at \(problem)", .verificationFailed)
                }
            }
        }

        private static func temporaryLocation() throws -> LedgerPath {
            let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
            var template = Array("\(base)/remedy-demo-XXXXXX".utf8CString)
            guard let folder = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
                throw LedgerError(.storage, "cannot create a temporary folder in \(base)")
            }
            return LedgerPath(path: String(cString: folder) + "/ledger.db")
        }
    }
}
