import Events
import SystemIO

/// Why an audit bundle could not be written, read, verified or imported.
///
/// ``Code`` is stable: the CLI maps it to an exit code (`verify-bundle`: 1 for a bundle that
/// does not verify, 2 for bad usage or an unreadable file, 5 for an output folder that is missing or
/// read-only, 7 for a full disk). A verification failure names the member, and the
/// line or position when there is one, in ``message``.
///
/// ```swift
/// catch let error as BundleError where error.code == .verificationFailed { print(error.message) }
/// ```
public typealias BundleError = CodedError<BundleErrorCode>

/// The codes of ``BundleError``.
public enum BundleErrorCode: String, Sendable, Equatable {
    /// The bundle does not prove what it claims (tampered, truncated, hostile, forged).
    case verificationFailed
    /// A file cannot be read (missing, unreadable), or zlib failed.
    case io
    /// The output cannot be written: the disk is full, or an I/O error.
    case storage
    /// The output's folder is missing or cannot be written (read-only, another user's).
    case unwritable
    /// What was asked cannot be done (an empty range, no checkpoint, a bad option).
    case invalidArgument
    /// The bundle does not fit the ledger it would be imported into.
    case conflict
}

extension CodedError where Kind == BundleErrorCode {
    /// A failure to write the output (or a temporary file beside it) in the bundle's words.
    init(writing error: SystemIOError) {
        switch error.kind {
        case .missingFolder, .denied: self.init(.unwritable, error.message)
        default: self.init(.storage, error.message)
        }
    }

    static func failed(_ member: String, _ message: String) -> BundleError {
        BundleError(.verificationFailed, "\(member): \(message)")
    }
}

