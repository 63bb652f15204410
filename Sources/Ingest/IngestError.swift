import Events

/// Why a report could not be ingested, with a message that names the file (and line).
///
/// The ingester raises only this type; nothing is recorded for a file that fails.
public typealias IngestError = CodedError<IngestErrorCode>

/// The codes of ``IngestError``.
public enum IngestErrorCode: String, Sendable, Equatable {
    /// The file cannot be opened or read.
    case unreadable
    /// Not well-formed: truncated, mismatched tags, bad characters or encoding, malformed JSON.
    case malformed
    /// Well-formed, but not a test or eval report (a PHPUnit configuration, say) or empty.
    case notAReport
    /// A format remedy does not read (yet), or an encoding it does not know.
    case unsupported
    /// A command-line value that cannot be used (suite or run name, mapping file).
    case invalidArgument
}

