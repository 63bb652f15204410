import ArgumentParser
import AuditBundle
import LedgerStore
import ReadViews
import RemediationLoop

extension Remedy {
    /// `remedy verify-bundle`: check an audit bundle offline.
    struct VerifyBundle: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "verify-bundle",
            abstract: "Verify an audit bundle offline: signature, every member, every leaf and the root, consistency with kept checkpoints.",
            discussion: """
            Trusts only the keys given (--key, a file or name+id+key), never one inside the bundle. Exits 0 when
            the bundle verifies, 1 naming the first failure (member, line, position), 2 for a command line or a
            file it cannot use. --known-checkpoint FILE (a signed checkpoint kept from earlier, any number) must
            be extended by the bundle. --replay rebuilds the read models from the events and compares them with
            the bundle's snapshot. A bundle of no events fails unless --allow-empty.
            """)

        @Argument(help: ArgumentHelp("The bundle (.tar.gz).", valueName: "file")) var file: String
        @Option(help: ArgumentHelp("A verifier key to trust (a file, or name+id+key); repeat for several.", valueName: "vkey")) var key: [String] = []
        @Option(name: .customLong("known-checkpoint"), help: ArgumentHelp("A signed checkpoint kept from earlier; repeatable.", valueName: "file"))
        var knownCheckpoint: [String] = []
        @Flag(help: "Rebuild the read models from the events and compare them with the snapshot.") var replay = false
        @Flag(name: .customLong("allow-empty"), help: "Accept a bundle of no events.") var allowEmpty = false
        @Flag(help: "Print the result as JSON.") var json = false

        func validate() throws {
            if key.isEmpty { throw ValidationError("give the verifier key to trust with --key VKEY") }
        }

        struct Earlier: Encodable {
            var size: Int
            var trusted: Bool
        }

        struct Output: Encodable {
            var verified: Bool
            @NullEncoded var problem: String?
            @NullEncoded var origin: String?
            @NullEncoded var from: Int?
            @NullEncoded var to: Int?
            @NullEncoded var events: Int?
            @NullEncoded var treeSize: Int?
            @NullEncoded var root: String?
            var earlierCheckpoints: [Earlier]
            var knownCheckpoints: [Int]
            var replayed: Bool
        }

        func run() throws {
            try reportingErrors {
                var verifier = BundleVerifier(keys: try key.map { try NoteVerifierKey.read(fileOrKey: $0) })
                verifier.known = try knownCheckpoint.map { path in
                    do { return try SignedCheckpoint(parsing: try SignedNote.readFile(path: path)) } catch let error as LedgerError {
                        throw LedgerError(error.code, "\(path): \(error.message)")
                    }
                }
                verifier.replay = replay ? ReadModels.all : []
                verifier.allowEmpty = allowEmpty
                let showProgress = StandardError.isTerminal
                let verified: BundleVerification
                do {
                    verified = try verifier.verify(path: file) { done in
                        if showProgress { StandardError.write("\rverifying: \(done) events") }
                    }
                } catch let error as BundleError where error.code == .verificationFailed {
                    if showProgress { StandardError.write("\r\u{1B}[K") }
                    if json {
                        try JSONOutput.print(Output(verified: false, problem: error.message, earlierCheckpoints: [], knownCheckpoints: [], replayed: false))
                        StandardOutput.shared.flush()
                    }
                    fail("\(file) does not verify: \(error.message)", .verificationFailed)
                } catch let error as LedgerError where error.code == .verificationFailed {
                    // A kept checkpoint that is not signed by a key given.
                    fail("\(file) does not verify: \(error.message)", .verificationFailed)
                }
                if showProgress { StandardError.write("\r\u{1B}[K") }
                let manifest = verified.manifest
                if json {
                    try JSONOutput.print(Output(
                        verified: true, origin: manifest.origin, from: manifest.range.from, to: manifest.range.to,
                        events: manifest.events.count, treeSize: verified.checkpoint.size, root: verified.checkpoint.root.hex,
                        earlierCheckpoints: verified.earlierCheckpoints.map { Earlier(size: $0.size, trusted: $0.trusted) },
                        knownCheckpoints: verified.knownCheckpoints, replayed: verified.replayed))
                } else {
                    let output = StandardOutput.shared
                    output.writeLine("verified \(file): events \(manifest.range.from)-\(manifest.range.to) of \(manifest.origin), tree size \(verified.checkpoint.size), root \(verified.checkpoint.root.hex)")
                    if !verified.earlierCheckpoints.isEmpty {
                        let untrusted = verified.earlierCheckpoints.filter { !$0.trusted }.count
                        output.writeLine("consistent with \(verified.earlierCheckpoints.count) earlier checkpoints\(untrusted > 0 ? " (\(untrusted) signed by keys not given)" : "")")
                    }
                    for size in verified.knownCheckpoints { output.writeLine("extends the kept checkpoint of size \(size)") }
                    output.writeLine(verified.replayed ? "read models rebuilt from the events: equal to the bundle's"
                                     : "read models: as the manifest lists them, not rebuilt from the events ("
                                     + (manifest.range.from == 1 ? "--replay checks them)" : "a part that starts past the first event cannot be replayed)"))
                }
                StandardOutput.shared.flush()
            }
        }
    }
}
