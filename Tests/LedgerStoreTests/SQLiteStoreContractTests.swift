import Foundation
import XCTest
import EventStoreContract
import LedgerStore

/// The SQLite ledger meets the store contract, each check on a new ledger file.
final class SQLiteStoreContractTests: XCTestCase {
    private let folder = TemporaryFolder()

    private var contract: EventStoreContract<Ledger> {
        EventStoreContract { [folder] in try folder.openLedger("contract-\(UUID().uuidString).db") }
    }

    func testAppendAndRead() throws { try contract.appendAndRead() }
    func testIdempotenceAndExpectedVersions() throws { try contract.idempotenceAndExpectedVersions() }
    func testBatchesAreAllOrNothing() throws { try contract.batchesAreAllOrNothing() }
    func testTreeAndProofs() throws { try contract.treeAndProofs() }
    func testWriteTransactions() throws { try contract.writeTransactions() }
    func testProjectionsCatchUp() throws { try contract.projectionsCatchUp() }
}
