import CSQLite

/// A failed SQLite call: its result code and SQLite's own message.
///
/// Internal to the store: ``Ledger`` turns it into a ``LedgerError`` a user can act on.
struct SQLiteError: Error, CustomStringConvertible {
    /// The primary result code (`SQLITE_BUSY`, `SQLITE_FULL`, ...).
    let code: Int32
    /// The extended result code, which says more (`SQLITE_IOERR_FSYNC`, ...).
    let extendedCode: Int32
    let message: String

    var description: String { "\(message) (SQLite code \(extendedCode))" }
}
