import Foundation
import XCTest
@testable import PostgresStore

/// The PostgreSQL server the tests use: `REMEDY_TEST_POSTGRES` names its database
/// (`postgres://user@host:port/db`; `.ci/run` starts one with
/// `Tools/postgres-server/postgres-server.sh`). Without it, the server's tests are skipped
/// and say so; with `REMEDY_REQUIRE_POSTGRES=1` (as in CI) they fail instead.
enum PostgresTestServer {
    static func address() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        guard let address = environment["REMEDY_TEST_POSTGRES"], !address.isEmpty else {
            if environment["REMEDY_REQUIRE_POSTGRES"] == "1" {
                throw XCTestError(.failureWhileWaiting, userInfo: [NSLocalizedDescriptionKey: "REMEDY_REQUIRE_POSTGRES=1 but REMEDY_TEST_POSTGRES names no server"])
            }
            throw XCTSkip("no PostgreSQL server: set REMEDY_TEST_POSTGRES=postgres://user@host:port/db (Tools/postgres-server/postgres-server.sh start DIR prints one)")
        }
        return address
    }

    /// A location in a new schema of the test database, dropped by `cleanUp` (or left for
    /// inspection when a test fails midway).
    static func freshLocation(_ cleanUp: inout [PostgresLocation]) throws -> PostgresLocation {
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let location = try PostgresLocation(try address() + "?schema=\(schema)")
        cleanUp.append(location)
        return location
    }

    /// Drops the schemas the tests made.
    static func drop(_ locations: [PostgresLocation]) {
        for location in locations {
            guard let session = try? PostgresSession(location) else { continue }
            try? session.execute("DROP SCHEMA IF EXISTS \(location.schema) CASCADE")
        }
    }
}
