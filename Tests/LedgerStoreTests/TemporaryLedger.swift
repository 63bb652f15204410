import Foundation
import XCTest
import Events
@testable import LedgerStore

/// A fresh folder per test, removed afterwards, with helpers to open ledgers in it.
final class TemporaryFolder {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "remedy-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    func openLedger(_ name: String = "ledger.db", mode: Ledger.AccessMode = .readWrite) throws -> Ledger {
        try Ledger.open(LedgerPath(path: file(name)), mode: mode, create: mode == .readWrite ? .ifMissing() : .never)
    }
}

func event(_ stream: String, _ type: String = "ThingHappened", _ json: String = "{}", id: String? = nil,
           expect: ExpectedVersion = .any, actor: String? = nil) throws -> ProposedEvent {
    try ProposedEvent(stream: StreamName(stream), type: EventType(type), json: Array(json.utf8),
                      id: id.map { try EventID($0) }, metadata: EventMetadata(actor: actor), expectedVersion: expect)
}

/// Asserts that `body` throws a ``LedgerError`` with `code` and a message containing `fragment`.
func assertLedgerError<T>(_ code: LedgerError.Code, _ fragment: String, file: StaticString = #filePath, line: UInt = #line,
                          _ body: () throws -> T) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        guard let error = error as? LedgerError else { return XCTFail("not a LedgerError: \(error)", file: file, line: line) }
        XCTAssertEqual(error.code, code, error.message, file: file, line: line)
        XCTAssertTrue(error.message.contains(fragment), "\"\(error.message)\" lacks \"\(fragment)\"", file: file, line: line)
        XCTAssertFalse(error.message.contains("\n"), file: file, line: line)
    }
}

/// Reads a whole file, for checking that a failed operation left it byte for byte as it was.
func contents(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }
