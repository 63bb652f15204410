import Foundation
import XCTest
import LedgerCore
@testable import PostgresStore

/// Reading `postgres://` addresses as libpq users expect, without a server.
final class PostgresLocationTests: XCTestCase {
    func testAnAddressNamesServerDatabaseAndSchema() throws {
        let location = try PostgresLocation("postgresql://ci:p%40ss@db.internal:6543/ledgers?schema=team_a&sslmode=require", environment: [:])
        XCTAssertEqual([location.user, location.host, location.database, location.schema], ["ci", "db.internal", "ledgers", "team_a"])
        XCTAssertEqual(location.port, 6543)
        XCTAssertEqual(location.password, "p@ss")
        XCTAssertEqual(location.tlsMode, .require)
        XCTAssertEqual(location.description, "postgres://ci@db.internal:6543/ledgers?schema=team_a", "no password")
        let v6 = try PostgresLocation("postgres://u@[::1]:5433/d", environment: [:])
        XCTAssertEqual([v6.host, String(v6.port), v6.schema], ["::1", "5433", "remedy"])
        XCTAssertEqual(v6.description, "postgres://u@[::1]:5433/d?schema=remedy")
    }

    func testWhatTheAddressLeavesOutComesFromPGVariablesThenDefaults() throws {
        let environment = ["PGHOST": "pg.example", "PGPORT": "5544", "PGUSER": "runner", "PGDATABASE": "evals", "PGPASSWORD": "pw"]
        let location = try PostgresLocation("postgres://", environment: environment)
        XCTAssertEqual([location.host, location.user, location.database, location.password], ["pg.example", "runner", "evals", "pw"])
        XCTAssertEqual(location.port, 5544)
        let bare = try PostgresLocation("postgres:///", environment: ["USER": "alice"])
        XCTAssertEqual([bare.host, bare.user, bare.database], ["localhost", "alice", "alice"])
        XCTAssertEqual(bare.port, 5432)
        XCTAssertNil(bare.password)
        let socket = try PostgresLocation("postgres://", environment: ["PGHOST": "/var/run/postgresql", "USER": "a"])
        XCTAssertEqual(socket.socketPath, "/var/run/postgresql/.s.PGSQL.5432")
    }

    /// The password file: the first line whose host, port, database and user match (or are
    /// `*`), with `\:` escapes; ignored when others may read it.
    func testThePasswordFileSuppliesTheMissingPassword() throws {
        let path = NSTemporaryDirectory() + "pgpass-\(UUID().uuidString)"
        defer { unlink(path) }
        try """
        # comment
        other:5432:*:ci:wrong
        db.internal:5432:ledgers:ci:pa\\:ss
        *:*:*:ci:fallback
        """.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        let environment = ["PGPASSFILE": path]
        XCTAssertEqual(try PostgresLocation("postgres://ci@db.internal/ledgers", environment: environment).password, "pa:ss")
        XCTAssertEqual(try PostgresLocation("postgres://ci@elsewhere/ledgers", environment: environment).password, "fallback")
        XCTAssertNil(try PostgresLocation("postgres://bob@db.internal/ledgers", environment: environment).password)
        chmod(path, 0o644)
        XCTAssertNil(try PostgresLocation("postgres://ci@db.internal/ledgers", environment: environment).password, "readable by others: ignored")
    }

    func testBadAddressesAreRefusedWithTheProblemAndWithoutThePassword() {
        for (address, problem) in [
            ("postgres://u:secret@h:99999/d", "the port '99999'"),
            ("postgres://u:secret@h/d?schema=Bad-Name", "the schema 'Bad-Name'"),
            ("postgres://u:secret@h/d?sslmode=maybe", "sslmode must be"),
            ("postgres://u:secret@h/d?colour=blue", "unknown parameter 'colour'"),
            ("postgres://u:secret@h/d%zz", "bad %-escape"),
            ("mysql://u@h/d", "not a PostgreSQL address"),
        ] {
            XCTAssertThrowsError(try PostgresLocation(address, environment: [:]), address) { error in
                XCTAssertEqual((error as? LedgerError)?.code, .ledgerNotFound)
                XCTAssertTrue("\(error)".contains(problem), "\(error)")
                XCTAssertFalse("\(error)".contains("secret"), "\(error)")
            }
        }
    }
}
