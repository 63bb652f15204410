/// Why a step of the remediation loop was refused, with the reason a user can act on.
public struct LoopError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable, Equatable {
        /// A value on the command line that cannot be used (a suite name with a space, say).
        case invalidArgument
        /// No failure or fix with that id (or no open failure for that case).
        case notFound
        /// The loop is not in the state the step needs (merging a blocked fix, ...).
        case invalidState
        /// The run was recorded before from different reports.
        case conflict
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
