#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Events
import AuditBundle
import Ingest
import LedgerStore
import ReadViews
import RemediationLoop

/// The exit codes of every remedy command: a contract for CI scripts, documented in README.
enum RemedyExitCode: Int32, CaseIterable {
    case success = 0
    /// `remedy verify` found an event that does not match.
    case verificationFailed = 1
    /// Bad input: malformed JSON, an invalid event or batch line, an empty batch, a bad time.
    case invalidInput = 2
    /// `--expect-version`/`--expect-new` did not match the stream.
    case wrongExpectedVersion = 3
    /// A conflict: an event id that exists already with different content, a fix id taken, a
    /// run recorded from other reports, an origin that differs, a key file that exists.
    case idConflict = 4
    /// The ledger cannot be used as asked: missing, not a ledger, newer schema, read-only,
    /// missing folder, or no such event.
    case ledgerUnavailable = 5
    /// Another writer held the ledger past the busy timeout: retry.
    case busy = 6
    /// The disk is full, an I/O error, or a damaged file.
    case storage = 7
    /// The loop refused the step: an unknown failure or fix, or one not in the state the step
    /// needs (merging a fix awaiting review, diagnosing a resolved failure, ...).
    case loopRefused = 8
    /// `remedy gate`: the fix waits for a person.
    case gateReview = 10
    /// `remedy gate`: the fix is blocked.
    case gateBlock = 11
    /// `remedy ratchet check`: a guard failed in the run, or did not run without being retired.
    case ratchetSlipped = 12
    /// The command line itself is wrong (swift-argument-parser's usage code).
    case usage = 64

    init(_ code: LedgerError.Code) {
        switch code {
        case .invalidEvent: self = .invalidInput
        case .wrongExpectedVersion: self = .wrongExpectedVersion
        case .idConflict: self = .idConflict
        case .ledgerNotFound, .missingFolder, .notALedger, .newerSchema, .readOnly, .eventNotFound: self = .ledgerUnavailable
        case .busy: self = .busy
        case .storage, .corrupt: self = .storage
        case .verificationFailed: self = .verificationFailed
        case .invalidKeyOrNote: self = .invalidInput
        case .conflict: self = .idConflict
        }
    }
}

/// Runs a command body, turning library errors into one stderr line and a stable exit code.
///
/// Only the CLI maps errors to exit codes; the libraries throw typed errors.
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as LedgerError {
        fail(error.message, RemedyExitCode(error.code))
    } catch let error as EventError {
        fail(error.message, .invalidInput)
    } catch let error as IngestError {
        fail(error.message, .invalidInput)
    } catch let error as BundleError {
        switch error.code {
        case .verificationFailed: fail(error.message, .verificationFailed)
        case .io, .invalidArgument: fail(error.message, .invalidInput)
        case .storage: fail(error.message, .storage)
        case .unwritable: fail(error.message, .ledgerUnavailable)
        case .conflict: fail(error.message, .idConflict)
        }
    } catch let error as LoopError {
        switch error.code {
        case .invalidArgument: fail(error.message, .invalidInput)
        case .conflict: fail(error.message, .idConflict)
        case .notFound, .invalidState: fail(error.message, .loopRefused)
        }
    } catch let exit as ExitCode {
        throw exit
    } catch {
        // Anything else is unexpected: still one line, and a code that says "storage".
        fail("\(error)", .storage)
    }
}

/// Prints `remedy: error: MESSAGE` on stderr and exits with `code`.
func fail(_ message: String, _ code: RemedyExitCode) -> Never {
    StandardError.line("error: " + message)
    terminate(code)
}

/// Ends the process with `code`, output flushed. (Inside a command type, `exit` names the
/// argument parser's `exit(withError:)`.)
func terminate(_ code: RemedyExitCode) -> Never {
    StandardOutput.shared.flush()
    exit(code.rawValue)
}
