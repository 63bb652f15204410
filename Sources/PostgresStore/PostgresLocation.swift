#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LedgerCore
import SystemIO

/// Where a PostgreSQL ledger lives: a server, a database and a schema, read from a
/// `postgres://` (or `postgresql://`) address with the defaults libpq users expect.
///
/// What the address leaves out comes from the usual variables (`PGHOST`, `PGPORT`, `PGUSER`,
/// `PGDATABASE`, `PGPASSWORD`), then from the password file (`PGPASSFILE`, else `~/.pgpass`,
/// `host:port:database:user:password` lines with `*` for any), then from libpq's defaults
/// (localhost, 5432, the login name as user and database). The password is never part of
/// ``description``, so errors and logs can name the ledger.
///
/// ```swift
/// let location = try PostgresLocation("postgres://ci@db.internal:5432/ledger?schema=team_a")
/// print(location)   // postgres://ci@db.internal:5432/ledger?schema=team_a
/// ```
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// The schema that holds the ledger's tables (`?schema=`), `remedy` by default: one
    /// database can hold several ledgers.
    public var schema: String
    /// `?sslmode=`: `disable` (the default, for loopback and private networks), `prefer` or `require`.
    public var tlsMode: TLSMode

    public enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    /// The schema a ledger goes in when the address names none.
    public static let defaultSchema = "remedy"

    /// Whether `text` names a PostgreSQL ledger rather than a file.
    public static func isAddress(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Reads an address, filling in what it leaves out from `environment` and the password file.
    ///
    /// - Throws: ``LedgerError`` (`.ledgerNotFound`) naming what is wrong with the address.
    public init(_ address: String, environment: [String: String] = PostgresLocation.processEnvironment()) throws {
        guard let schemeEnd = address.range(of: "://"), Self.isAddress(address) else {
            throw LedgerError(.ledgerNotFound, "not a PostgreSQL address: \(Self.redacted(address)) (expected postgres://user@host:port/database?schema=NAME)")
        }
        var rest = Substring(address[schemeEnd.upperBound...])
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var path: Substring = ""
        if let slash = rest.firstIndex(of: "/") {
            path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
        }
        var userInfo: Substring?
        if let at = rest.lastIndex(of: "@") {
            userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        var explicitUser: String?
        var explicitPassword: String?
        if let userInfo {
            if let colon = userInfo.firstIndex(of: ":") {
                explicitUser = try Self.decode(userInfo[..<colon], "user", address)
                explicitPassword = try Self.decode(userInfo[userInfo.index(after: colon)...], "password", address)
            } else {
                explicitUser = try Self.decode(userInfo, "user", address)
            }
        }
        var hostText: Substring = rest
        var portText: Substring?
        if rest.hasPrefix("[") {   // an IPv6 literal: [::1]:5432
            guard let close = rest.firstIndex(of: "]") else { throw Self.invalid(address, "an unclosed [ in the host") }
            hostText = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() } else if !after.isEmpty { throw Self.invalid(address, "text after the host") }
        } else if let colon = rest.lastIndex(of: ":") {
            hostText = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }

        var schema = Self.defaultSchema
        var tlsMode = TLSMode.disable
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = parts.count > 1 ? try Self.decode(parts[1], key, address) : ""
            switch key {
            case "schema": schema = value
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else { throw Self.invalid(address, "sslmode must be disable, prefer or require, not '\(value)'") }
                tlsMode = mode
            case "user": explicitUser = value
            case "password": explicitPassword = value
            case "host": hostText = Substring(value)
            case "port": portText = Substring(value)
            case "dbname": path = Substring(value)
            default: throw Self.invalid(address, "unknown parameter '\(key)' (remedy reads schema, sslmode, user, password, host, port, dbname)")
            }
        }
        guard Self.isPlainIdentifier(schema) else {
            throw Self.invalid(address, "the schema '\(schema)' must be lower-case letters, digits and _, starting with a letter or _")
        }

        let host = hostText.isEmpty ? environment["PGHOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "localhost" : try Self.decode(hostText, "host", address)
        let portString = portText.map(String.init) ?? environment["PGPORT"] ?? "5432"
        guard let port = Int(portString), (1...65_535).contains(port) else { throw Self.invalid(address, "the port '\(portString)' is not a number from 1 to 65535") }
        let user = explicitUser ?? environment["PGUSER"] ?? environment["USER"] ?? Self.loginName() ?? "postgres"
        let database = path.isEmpty ? environment["PGDATABASE"] ?? user : try Self.decode(path, "database", address)
        self.host = host
        self.port = port
        self.user = user
        self.database = database
        self.schema = schema
        self.tlsMode = tlsMode
        self.password = explicitPassword ?? environment["PGPASSWORD"]
            ?? PasswordFile.password(path: PasswordFile.path(environment), host: host, port: port, database: database, user: user)
    }

    /// The address without the password: what errors and status print.
    public var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(hostPart):\(port)/\(database)?schema=\(schema)"
    }

    /// The Unix socket path when the host is a folder (`PGHOST=/var/run/postgresql`).
    public var socketPath: String? {
        host.hasPrefix("/") ? "\(host)/.s.PGSQL.\(port)" : nil
    }

    /// The current process's environment, as a dictionary.
    public static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let pair = String(cString: pointer)
            if let equals = pair.firstIndex(of: "=") {
                result[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
            }
            entry += 1
        }
        return result
    }

    /// Letters, digits and `_`, not starting with a digit: a name that needs no quoting.
    static func isPlainIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, !name.isEmpty, name.utf8.count <= 63 else { return false }
        guard first == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func loginName() -> String? {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else { return nil }
        return String(cString: name)
    }

    private static func invalid(_ address: String, _ problem: String) -> LedgerError {
        LedgerError(.ledgerNotFound, "the PostgreSQL address \(redacted(address)) is not usable: \(problem)")
    }

    /// Percent-decodes one part of the address.
    private static func decode(_ text: Substring, _ part: String, _ address: String) throws -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw invalid(address, "a bad %-escape in the \(part)")
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else { throw invalid(address, "the \(part) is not UTF-8") }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    /// The address with any password replaced by `***`, for error messages.
    static func redacted(_ address: String) -> String {
        guard let scheme = address.range(of: "://") else { return address }
        let rest = address[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var result = address
        if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
            result = String(address[..<authority.index(after: colon)]) + "***" + String(address[at...])
        }
        if let password = result.range(of: "password=") {
            let end = result[password.upperBound...].firstIndex(of: "&") ?? result.endIndex
            result.replaceSubrange(password.upperBound..<end, with: "***")
        }
        return result
    }
}

/// libpq's password file: `hostname:port:database:username:password` a line, `*` matching
/// anything, `\:` and `\\` escaping, the first matching line winning; ignored, as libpq
/// ignores it, when others can read it.
enum PasswordFile {
    static func path(_ environment: [String: String]) -> String? {
        if let explicit = environment["PGPASSFILE"], !explicit.isEmpty { return explicit }
        return environment["HOME"].map { $0 + "/.pgpass" }
    }

    static func password(path: String?, host: String, port: Int, database: String, user: String) -> String? {
        guard let path, let text = readSmallFile(path) else { return nil }
        let wanted = [host.hasPrefix("/") ? "localhost" : host, String(port), database, user]
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) where !line.hasPrefix("#") {
            let fields = split(line)
            guard fields.count == 5 else { continue }
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// The fields of one line, unescaped.
    static func split(_ line: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" && fields.count < 4 {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }

    /// The file's text when it is a regular file of at most 64 KiB that only its owner can
    /// read or write.
    private static func readSmallFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_mode & 0o077 == 0,
              let bytes = try? readAll(descriptor, name: path, limit: 65_536, tooLarge: "\(path) is over 64 KiB") else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
