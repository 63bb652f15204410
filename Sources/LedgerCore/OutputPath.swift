import SystemIO

/// Where an export or a backup is about to write a file: nowhere that exists, unless asked to
/// replace it, and never the ledger itself.
///
/// ```swift
/// try OutputPath.check("audit.tar.gz", replacing: false)   // throws if the file exists
/// ```
package enum OutputPath {
    /// - Throws: ``LedgerError`` (`.conflict`) for a file that exists (without `replacing`), or
    ///   that `isLedger` says is the ledger.
    package static func check(_ path: String, replacing: Bool, isLedger: (String) -> Bool = { _ in false }) throws {
        guard fileSize(atPath: path) != nil else { return }
        if isLedger(path) { throw LedgerError(.conflict, "\(path) is the ledger itself") }
        guard replacing else { throw LedgerError(.conflict, "\(path) exists already; choose another --out, or pass --force to replace it") }
    }
}

extension EventStore {
    /// A store whose ledger is no file beside the output (a server's) checks only that.
    public func checkOutput(_ path: String, replacing: Bool) throws {
        try OutputPath.check(path, replacing: replacing)
    }
}
