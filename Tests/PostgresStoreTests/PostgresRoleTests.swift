import Foundation
import XCTest
import Events
import LedgerCore
import Projections
@testable import PostgresStore

/// README's role layout, run as written (names made unique): the owner creates the ledger,
/// CI appends and keeps the read models, a reader reads and cannot write.
final class PostgresRoleTests: XCTestCase {
    private var made: [PostgresLocation] = []
    private var roles: [String] = []
    private var admin: PostgresSession?

    override func tearDown() {
        PostgresTestServer.drop(made)
        for role in roles.reversed() {
            try? admin?.execute("DROP OWNED BY \(role) CASCADE")
            try? admin?.execute("DROP ROLE IF EXISTS \(role)")
        }
        made = []
        roles = []
    }

    /// README's SQL block for roles, in its three parts (as a superuser; as the owner; as CI).
    private func readmeRoleSQL() throws -> (superuser: [String], owner: [String], ci: [String]) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try XCTUnwrap(readme.components(separatedBy: "### A shared ledger on PostgreSQL\n").dropFirst().first)
        let block = try XCTUnwrap(section.components(separatedBy: "```sql\n").dropFirst().first?.components(separatedBy: "```").first)
        let parts = block.components(separatedBy: "-- as remedy_owner")
        XCTAssertEqual(parts.count, 2, "README's role block has a superuser part, then an owner part")
        let ownerAndCI = parts[1].components(separatedBy: "-- as remedy_ci")
        XCTAssertEqual(ownerAndCI.count, 2, "README's role block ends with a part for CI")
        func statements(_ text: String) -> [String] {
            text.split(separator: "\n").map { $0.components(separatedBy: "--")[0] }.joined(separator: "\n")
                .split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
        }
        func afterHeading(_ text: String) -> String { String(text.drop(while: { $0 != "\n" })) }
        return (statements(parts[0]), statements(afterHeading(ownerAndCI[0])), statements(afterHeading(ownerAndCI[1])))
    }

    func testTheREADMERoleLayoutLetsCIAddAndReadersOnlyRead() throws {
        let base = try PostgresTestServer.freshLocation(&made)
        admin = try PostgresSession(base)
        let suffix = String(base.schema.dropFirst(2).prefix(8))
        let (owner, ci, reader) = ("remedy_owner_\(suffix)", "remedy_ci_\(suffix)", "remedy_reader_\(suffix)")
        roles = [owner, ci, reader]
        func adapted(_ sql: String) -> String {
            sql.replacingOccurrences(of: "remedy_owner", with: owner).replacingOccurrences(of: "remedy_ci", with: ci)
                .replacingOccurrences(of: "remedy_reader", with: reader).replacingOccurrences(of: "golden", with: base.schema)
                .replacingOccurrences(of: "DATABASE evals", with: "DATABASE \(base.database)")
        }
        let sql = try readmeRoleSQL()
        for statement in sql.superuser { try admin!.execute(adapted(statement)) }

        func location(_ user: String) throws -> PostgresLocation {
            var location = base
            location.user = user
            return location
        }
        let owned = try PostgresLedger.open(try location(owner), create: .ifMissing(origin: "ci.example.com/acme/evals"))
        XCTAssertTrue(owned.isWritable)
        let ownerSession = try PostgresSession(try location(owner))
        for statement in sql.owner { try ownerSession.execute(adapted(statement)) }

        let ciSession = try PostgresSession(try location(ci))
        for statement in sql.ci { try ciSession.execute(adapted(statement)) }
        let asCI = try PostgresLedger.open(try location(ci))
        XCTAssertTrue(asCI.isWritable)
        for n in 1...3 { try asCI.append(try ProposedEvent(stream: StreamName("deploy-1"), type: EventType("Noted"), json: Array(#"{"n":\#(n)}"#.utf8))) }
        XCTAssertEqual(try asCI.catchUp([StreamCountsForRoles.self])[0].folded, 3, "CI keeps the read models")
        XCTAssertThrowsError(try PostgresSession(try location(ci)).execute("UPDATE events SET type = 'X'"))
        XCTAssertThrowsError(try PostgresSession(try location(ci)).execute("DELETE FROM ledger_identity"))

        let asReader = try PostgresLedger.open(try location(reader))
        XCTAssertFalse(asReader.isWritable, "a reader's views do not catch up")
        XCTAssertEqual(try asReader.events(EventQuery()).count, 3)
        XCTAssertEqual(try asReader.rows(of: StreamCountsForRoles.table), [[.text("deploy-1"), .integer(3)]], "the tables CI built")
        XCTAssertTrue(try asReader.verify(progress: { _ in }).isValid)
        XCTAssertThrowsError(try asReader.append(try ProposedEvent(stream: StreamName("deploy-1"), type: EventType("Noted"), json: Array("{}".utf8)))) { error in
            XCTAssertEqual((error as? LedgerError)?.code, .readOnly, "\(error)")
            XCTAssertTrue("\(error)".contains("refused this user"), "\(error)")
        }
        XCTAssertEqual(try asCI.treeHead().size, 3)
    }
}

/// Events per stream: a read model for the role test.
enum StreamCountsForRoles: Projection {
    static let name = "role_stream_counts"
    static let version = 1
    static let eventTypes = ["Noted"]
    static let table = ReadModelTable(
        name: "role_stream_counts", columns: [.init("stream", "TEXT", "the stream"), .init("events", "INTEGER", "its events")],
        keyColumns: 1, documentation: "Events per stream.")
    static let tables = [table]

    static func apply(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        let count = try rows.row(table.name, key: [.text(event.stream)])?[1].number ?? 0
        return [.upsert(table: table.name, row: [.text(event.stream), .integer(count + 1)])]
    }
}
