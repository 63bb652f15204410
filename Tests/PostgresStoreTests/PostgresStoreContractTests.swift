import XCTest
import EventStoreContract
import LedgerCore
@testable import PostgresStore

/// The PostgreSQL ledger meets the store contract the SQLite ledger meets, each check in a new
/// schema of a real server.
final class PostgresStoreContractTests: XCTestCase {
    private var made: [PostgresLocation] = []

    override func tearDown() {
        PostgresTestServer.drop(made)
        made = []
    }

    private func contract() throws -> EventStoreContract<PostgresLedger> {
        _ = try PostgresTestServer.address()
        return EventStoreContract { [unowned self] in
            try PostgresLedger.open(try PostgresTestServer.freshLocation(&self.made), create: .ifMissing())
        }
    }

    func testAppendAndRead() throws { try contract().appendAndRead() }
    func testIdempotenceAndExpectedVersions() throws { try contract().idempotenceAndExpectedVersions() }
    func testBatchesAreAllOrNothing() throws { try contract().batchesAreAllOrNothing() }
    func testTreeAndProofs() throws { try contract().treeAndProofs() }
    func testWriteTransactions() throws { try contract().writeTransactions() }
    func testProjectionsCatchUp() throws { try contract().projectionsCatchUp() }
}
