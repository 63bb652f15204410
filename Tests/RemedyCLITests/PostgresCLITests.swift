import Foundation
import XCTest

/// The CLI against a real PostgreSQL server (`REMEDY_TEST_POSTGRES`, as the PostgreSQL store's
/// own tests use it): skipped with a message without one, required in CI.
final class PostgresCLITests: XCTestCase {
    private let folder = TemporaryFolder()
    private var schemas: [String] = []

    private func server() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        guard let address = environment["REMEDY_TEST_POSTGRES"], !address.isEmpty else {
            if environment["REMEDY_REQUIRE_POSTGRES"] == "1" { XCTFail("REMEDY_REQUIRE_POSTGRES=1 but REMEDY_TEST_POSTGRES names no server") }
            throw XCTSkip("no PostgreSQL server: set REMEDY_TEST_POSTGRES=postgres://user@host:port/db")
        }
        return address
    }

    /// A ledger address in a new schema, dropped after the test (with `psql`, as an operator would).
    private func freshLedger() throws -> String {
        let schema = "cli_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(12)
        schemas.append(String(schema))
        return try server() + "?schema=\(schema)"
    }

    override func tearDown() {
        guard let address = try? server() else { return }
        for schema in schemas {
            let psql = Process()
            psql.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            psql.arguments = ["psql", "-q", address, "-c", "DROP SCHEMA IF EXISTS \(schema) CASCADE"]
            psql.standardOutput = FileHandle.nullDevice
            psql.standardError = FileHandle.nullDevice
            try? psql.run()
            psql.waitUntilExit()
        }
    }

    /// `remedy migrate` copies a file into PostgreSQL and back: the events print the same,
    /// the copy verifies with the same root, and a second migrate into the full ledger is
    /// refused (exit 4) without changing it.
    func testMigrateToPostgresAndBack() throws {
        let postgres = try freshLedger()
        let source = folder.file("source.db"), back = folder.file("back.db")
        try Remedy.seedExampleEvents(source)
        let there = try Remedy.run(["migrate", "--from", source, "--to", postgres, "--json"])
        XCTAssertEqual(there.status, 0, there.stderr)
        let summary = try JSONSerialization.jsonObject(with: Data(there.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(summary?["events"] as? Int, 20)
        XCTAssertEqual(summary?["tree_size"] as? Int, 20)
        XCTAssertFalse(there.stdout.contains("password"))
        let home = try Remedy.run(["migrate", "--from", postgres, "--to", back])
        XCTAssertEqual(home.status, 0, home.stderr)
        XCTAssertTrue(home.stdout.hasPrefix("migrated 20 events and 0 checkpoints from postgres://"), home.stdout)
        XCTAssertEqual(try Remedy.run(["events", "--ledger", back]).stdout, try Remedy.run(["events", "--ledger", source]).stdout)
        let verified = try Remedy.run(["verify", "--ledger", back])
        XCTAssertEqual(verified.status, 0, verified.stderr)
        XCTAssertTrue(verified.stdout.contains(summary?["root"] as? String ?? "?"), verified.stdout)

        let again = try Remedy.run(["migrate", "--from", source, "--to", postgres])
        XCTAssertEqual(again.status, 4, again.stderr)
        XCTAssertTrue(again.stderr.contains("holds 20 events already"), again.stderr)
        let unreachable = try Remedy.run(["migrate", "--from", source, "--to", "postgres://someone:s3cret@127.0.0.1:1/none"])
        XCTAssertEqual(unreachable.status, 5, unreachable.stderr)
        XCTAssertTrue(unreachable.stderr.contains("postgres://someone@127.0.0.1:1/none"), unreachable.stderr)
        XCTAssertFalse(unreachable.stderr.contains("s3cret"), unreachable.stderr)
    }
}
