import Events

/// Why a step of the remediation loop was refused, with the reason a user can act on.
public typealias LoopError = CodedError<LoopErrorCode>

/// The codes of ``LoopError``.
public enum LoopErrorCode: String, Sendable, Equatable {
    /// A value on the command line that cannot be used (a suite name with a space, say).
    case invalidArgument
    /// No failure or fix with that id (or no open failure for that case).
    case notFound
    /// The loop is not in the state the step needs (merging a blocked fix, ...).
    case invalidState
    /// The run was recorded before from different reports.
    case conflict
}

