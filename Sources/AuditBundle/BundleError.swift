import Events

/// Why an audit bundle could not be written, read, verified or imported.
///
/// ``Code`` is stable: the CLI maps it to an exit code (`verify-bundle`: 1 for a bundle that
/// does not verify, 2 for bad usage or I/O). A verification failure names the member, and the
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
    /// A file cannot be read or written (missing, unreadable, disk full).
    case io
    /// What was asked cannot be done (an empty range, no checkpoint, a bad option).
    case invalidArgument
    /// The bundle does not fit the ledger it would be imported into.
    case conflict
}

extension CodedError where Kind == BundleErrorCode {
    static func failed(_ member: String, _ message: String) -> BundleError {
        BundleError(.verificationFailed, "\(member): \(message)")
    }
}

