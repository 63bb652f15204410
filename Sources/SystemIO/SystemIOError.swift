#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a file or a thread could not be used, in one line that names the file and the cause.
///
/// Each module says it in its own error type (`LedgerError`, `IngestError`, `BundleError`),
/// keeping ``message``; ``kind`` tells which of its codes fits.
///
/// ```swift
/// catch let error as SystemIOError where error.kind == .diskFull { print(error.message) }
/// ```
public struct SystemIOError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Which operation failed: what the message names and callers map to their own errors.
    public enum Kind: Sendable, Equatable {
        /// A file (or standard input) could not be opened or read.
        case unreadable
        /// A file could not be created, written, synced or renamed (an I/O error, say).
        case unwritable
        /// A file could not be created because its folder is missing (or is not a folder).
        case missingFolder
        /// A file could not be created or written for want of permission (a read-only
        /// folder or filesystem, another user's file).
        case denied
        /// Writing failed because the disk (or a quota) is full.
        case diskFull
        /// The input is larger than its limit.
        case tooLarge
        /// A second thread could not be started.
        case noThread
    }

    public var kind: Kind
    /// The whole message, e.g. `cannot read reports/a.xml: No such file or directory`.
    public var message: String
    /// The `errno` behind it, 0 when there is none.
    public var code: Int32

    public init(_ kind: Kind, _ message: String, code: Int32 = 0) {
        self.kind = kind
        self.message = message
        self.code = code
    }

    public var description: String { message }

    /// The error for `errno` `code` while writing `path`, of the kind the code means: a full
    /// disk says so.
    public static func writing(_ path: String, _ code: Int32) -> SystemIOError {
        switch code {
        case ENOSPC, EDQUOT: return SystemIOError(.diskFull, "cannot write \(path): the disk is full; nothing was written", code: code)
        case ENOENT, ENOTDIR: return SystemIOError(.missingFolder, "cannot write \(path): \(errnoMessage(code))", code: code)
        case EACCES, EPERM, EROFS: return SystemIOError(.denied, "cannot write \(path): \(errnoMessage(code))", code: code)
        default: return SystemIOError(.unwritable, "cannot write \(path): \(errnoMessage(code))", code: code)
        }
    }

    /// The error for `errno` `code` while reading `name`.
    public static func reading(_ name: String, _ code: Int32) -> SystemIOError {
        SystemIOError(.unreadable, "cannot read \(name): \(errnoMessage(code))", code: code)
    }
}
