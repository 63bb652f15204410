/// An error a user can act on: a stable code, for matching (the CLI maps each to an exit
/// code), and one line saying what is wrong and, where it helps, how to fix it.
///
/// Each module names its own errors by the set of codes it raises (``EventError``, and the
/// loop's, ingest's and bundles' errors); the shape is this one.
///
/// ```swift
/// do { try CanonicalJSON.canonicalizeObject(Array(#"{"a":1.5}"#.utf8)) }
/// catch let error as EventError where error.code == .unsupportedNumber { print(error.message) }
/// ```
public struct CodedError<Kind: Hashable & Sendable>: Error, Sendable, Equatable, CustomStringConvertible {
    /// The set of codes (``EventErrorCode``, ...).
    public typealias Code = Kind

    /// What kind of problem this is; stable, for matching.
    public var code: Code
    /// One line saying what is wrong and, where it helps, how to fix it.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
