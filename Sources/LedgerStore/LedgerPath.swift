#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the ledger file is: `--ledger PATH`, else `$REMEDY_LEDGER`, else `.remedy/ledger.db`.
///
/// Only the default location has its folder created on first write; an explicit path whose
/// folder is missing is an error, because a typo there should not scatter ledgers around.
public struct LedgerPath: Sendable, Equatable, CustomStringConvertible {
    /// The environment variable that overrides the default location.
    public static let environmentVariable = "REMEDY_LEDGER"
    /// The default location, relative to the current directory.
    public static let defaultPath = ".remedy/ledger.db"

    public let path: String
    /// Whether this is the default location, whose folder remedy may create.
    public let isDefault: Bool

    public init(path: String, isDefault: Bool = false) {
        self.path = path
        self.isDefault = isDefault
    }

    /// Resolves the location from an explicit option and the environment.
    public static func resolve(explicit: String?, environment: [String: String]) -> LedgerPath {
        if let explicit, !explicit.isEmpty { return LedgerPath(path: explicit) }
        if let fromEnvironment = environment[environmentVariable], !fromEnvironment.isEmpty {
            return LedgerPath(path: fromEnvironment)
        }
        return LedgerPath(path: defaultPath, isDefault: true)
    }

    /// Resolves the location from an explicit option and this process's environment.
    public static func resolve(explicit: String?) -> LedgerPath {
        let value = getenv(environmentVariable).map { String(cString: $0) }
        return resolve(explicit: explicit, environment: value.map { [environmentVariable: $0] } ?? [:])
    }

    /// The folder that holds the file.
    public var folder: String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public var description: String { path }
}
