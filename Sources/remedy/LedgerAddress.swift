import LedgerStore
import PostgresStore

/// A ledger named on the command line (`--ledger`, `$REMEDY_LEDGER`, `--from`, `--to`): a
/// SQLite file, or a PostgreSQL address (`postgres://…`).
///
/// ```swift
/// let store = try LedgerAddress("postgres://ci@db/evals").open(.readWrite)
/// ```
struct LedgerAddress: CustomStringConvertible {
    let text: String

    init(_ text: String) { self.text = text }

    /// The address as errors and output name it: a PostgreSQL address without its password.
    var description: String {
        guard PostgresLocation.isAddress(text), let location = try? PostgresLocation(text) else { return text }
        return location.description
    }

    /// Opens the ledger; only `create` lets it be made. A file waits up to `busyTimeout`
    /// seconds for another writer; a server ledger's writers take turns on the server.
    func open(_ mode: Ledger.AccessMode, create: Ledger.Creation = .never,
              busyTimeout: Double = LedgerOptions.defaultBusyTimeout) throws -> any EventStore {
        guard PostgresLocation.isAddress(text) else { return try LedgerOptions.open(text, busyTimeout: busyTimeout, mode, create: create) }
        return try PostgresLedger.open(PostgresLocation(text), create: create)
    }
}
