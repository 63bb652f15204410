import Foundation
import PostgresStore

/// The PostgreSQL server the loop's tests also run on: `REMEDY_TEST_POSTGRES` names its
/// database (as for the PostgreSQL store's own tests); without it those tests are disabled,
/// and with `REMEDY_REQUIRE_POSTGRES=1` (as in CI) they fail instead.
enum PostgresTestServer {
    static var address: String? {
        ProcessInfo.processInfo.environment["REMEDY_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether the PostgreSQL variants run: a server is named, or CI requires one.
    static var isAvailable: Bool {
        address != nil || ProcessInfo.processInfo.environment["REMEDY_REQUIRE_POSTGRES"] == "1"
    }

    /// A new schema of the test database (left for inspection; the throwaway server goes with it).
    static func freshLocation() throws -> PostgresLocation {
        guard let address else { throw PostgresTestServerMissing() }
        return try PostgresLocation(address + "?schema=loop_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16))
    }

    struct PostgresTestServerMissing: Error, CustomStringConvertible {
        var description: String { "REMEDY_REQUIRE_POSTGRES=1 but REMEDY_TEST_POSTGRES names no server" }
    }
}
