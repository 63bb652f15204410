import Events
import SystemIO

/// Why a ledger operation failed, with a message a user can act on.
///
/// The store raises only this type. ``Code`` is stable: the CLI maps it to an exit code, and
/// callers can match on it. When the problem is an event the caller sent, ``eventError``
/// carries the original ``EventError``.
///
/// ```swift
/// do { try ledger.append(event) }
/// catch let error as LedgerError where error.code == .wrongExpectedVersion { retry() }
/// ```
public struct LedgerError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable word scripts can match (each maps to an exit code).
    public enum Code: String, Sendable, Equatable {
        /// An event or batch line the ledger cannot accept (malformed, invalid, too large, empty batch).
        case invalidEvent
        /// `--expect-version` / `expect_version` did not match the stream.
        case wrongExpectedVersion
        /// An event id that exists already with different content.
        case idConflict
        /// No ledger at the path (for commands that only read).
        case ledgerNotFound
        /// The path's folder does not exist.
        case missingFolder
        /// The file is not a SQLite database, or not a remedy ledger.
        case notALedger
        /// The ledger was written by a newer remedy.
        case newerSchema
        /// The ledger file or its folder cannot be written.
        case readOnly
        /// Another writer held the ledger longer than the busy timeout.
        case busy
        /// The disk is full, or an I/O error occurred.
        case storage
        /// No event with that position or id.
        case eventNotFound
        /// The ledger's own state contradicts itself (found while appending; run `remedy verify`).
        case corrupt
        /// A proof, signature or checkpoint does not verify.
        case verificationFailed
        /// A key, checkpoint or signed note cannot be read (malformed, wrong type, unreadable file).
        case invalidKeyOrNote
        /// A checkpoint, origin or key contradicts what the ledger holds (a different origin,
        /// a head inconsistent with a stored checkpoint, a key file that exists already).
        case conflict
    }

    public var code: Code
    public var message: String
    /// The event problem behind an ``Code/invalidEvent``, if any.
    public var eventError: EventError?

    public init(_ code: Code, _ message: String, eventError: EventError? = nil) {
        self.code = code
        self.message = message
        self.eventError = eventError
    }

    /// An invalid-event error from an ``EventError``, optionally naming where (`line 3`).
    public init(_ eventError: EventError, at context: String? = nil) {
        self.init(.invalidEvent, context.map { "\($0): \(eventError.message)" } ?? eventError.message, eventError: eventError)
    }

    public var description: String { message }

    /// The error for an expected-version mismatch, in the form CI scripts match on.
    package static func wrongExpectedVersion(expected: Int, stream: StreamName, current: Int) -> LedgerError {
        LedgerError(.wrongExpectedVersion, "Wrong expected version: \(expected) (stream: \(stream), current version: \(current))")
    }
}

extension LedgerError {
    /// A file or thread problem in the ledger's words: input that cannot be read (or is too
    /// large) is the caller's event problem; output that cannot be written is storage.
    public init(_ error: SystemIOError) {
        switch error.kind {
        case .unreadable: self.init(.invalidEvent, error.message)
        case .tooLarge: self.init(EventError(.tooLarge, error.message))
        case .missingFolder: self.init(.missingFolder, error.message)
        case .denied: self.init(.readOnly, error.message)
        case .unwritable, .diskFull, .noThread: self.init(.storage, error.message)
        }
    }
}
