#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AuditBundle
import Events
import Ingest
import LedgerCore
import LoopRunner
import RemediationLoop
import SystemIO

/// Every parser of outside input, each as a function of arbitrary bytes that must return (a
/// clear error is fine) and never crash, hang or grow without bound; where a parser has a
/// property beyond that, the target checks it and traps when it does not hold, which the
/// fuzzer reports as a crash.
///
/// ```sh
/// REMEDY_FUZZ_TARGET=report .build-fuzz/debug/remedy-fuzz corpus/ -max_total_time=60   # fuzzing
/// .build/debug/remedy-fuzz report crash-1234                                            # one input again
/// ```
enum FuzzTarget: String, CaseIterable {
    /// Report files, each format (the first byte picks one, or detection), through ``ReportReader``.
    case report
    /// NDJSON event lines (`remedy append --ndjson`).
    case ndjson
    /// Canonical JSON: what canonicalizes once canonicalizes to itself.
    case canonical
    /// Signed notes, checkpoints and proofs, as `remedy verify-proof` and bundles read them.
    case note
    /// Policy files, loop configs and skill maps.
    case config
    /// A handler's answer on standard output, for every step.
    case handler
    /// An audit bundle (.tar.gz): gzip, tar and the checks of its members.
    case bundle

    func run(_ bytes: [UInt8]) {
        switch self {
        case .report: Self.report(bytes)
        case .ndjson:
            for line in bytes.split(separator: 0x0A) { _ = try? BatchLine.decode(line) }
        case .canonical:
            guard let once = try? CanonicalJSON.canonicalize(bytes) else { return }
            guard let twice = try? CanonicalJSON.canonicalize(once), twice == once else {
                fatalError("canonical JSON is not stable: \(String(decoding: once, as: UTF8.self))")
            }
        case .note:
            _ = try? SignedNote(parsing: bytes)
            _ = try? SignedCheckpoint(parsing: bytes)
            if let text = String(validating: bytes, as: UTF8.self) { _ = try? Checkpoint(text: text) }
            _ = try? ConsistencyProof(parsing: bytes)
            _ = try? TlogProof(parsing: bytes)
            if let text = String(validating: bytes, as: UTF8.self) {
                _ = try? NoteVerifierKey(text)
                _ = try? NoteSignerKey(text)
            }
        case .config:
            guard let text = String(validating: bytes, as: UTF8.self) else { return }
            _ = try? AutonomyPolicy(text: text)
            _ = try? LoopConfig(text: text, name: "fuzz")
            _ = try? SkillMap(text: text)
        case .handler:
            for step in HandlerStep.allCases { _ = try? HandlerAnswer.parse(bytes, step: step, item: "failure-1", skills: nil) }
        case .bundle:
            Self.withFile(bytes) { path in
                guard let key = Self.bundleKey else { return }
                _ = try? BundleVerifier(keys: [key]).verify(path: path)
            }
        }
    }

    /// A report through the reader, in the format its first byte picks (0: detected).
    private static func report(_ bytes: [UInt8]) {
        guard let first = bytes.first else { return }
        let formats: [ReportFormat?] = [nil] + ReportFormat.allCases
        let format = formats[Int(first) % formats.count]
        withFile(Array(bytes.dropFirst())) { path in
            _ = try? ReportReader.read(path: path, format: format) { outcome in
                // What every outcome promises, whatever the report said.
                precondition(!outcome.key.isEmpty && outcome.key.utf8.count <= CaseOutcome.maximumKeyLength + 20, "case key out of bounds")
                precondition((outcome.message?.utf8.count ?? 0) <= CaseOutcome.maximumMessageLength + 64, "message out of bounds")
                precondition(outcome.properties.count <= CaseOutcome.maximumProperties, "too many properties")
            }
        }
    }

    /// The verifier key bundles are checked with (`REMEDY_FUZZ_KEY`, a key file or key).
    private static let bundleKey: NoteVerifierKey? = {
        guard let argument = getenv("REMEDY_FUZZ_KEY").map({ String(cString: $0) }) else { return nil }
        return try? NoteVerifierKey.read(fileOrKey: argument)
    }()

    /// One file in memory (a tmpfs where there is one), rewritten for each input: the readers
    /// take paths, as the CLI gives them.
    private static func withFile(_ bytes: [UInt8], _ body: (String) -> Void) {
        let folder = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        let path = "\(folder)/remedy-fuzz-\(getpid())"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { fatalError("cannot write \(path): \(errnoMessage())") }
        let failed = bytes.withUnsafeBytes { writeAll(descriptor, $0) }
        close(descriptor)
        guard failed == 0 else { fatalError("cannot write \(path): \(errnoMessage(failed))") }
        body(path)
    }
}
