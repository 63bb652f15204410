import LedgerCore
import NIOConcurrencyHelpers
import PostgresNIO

/// One connection to the server, used synchronously: remedy's commands are short and
/// sequential, so each query waits for its answer on the caller's thread while postgres-nio
/// runs the protocol on its event loop.
///
/// Errors come back as ``LedgerError``s that name the server, database and schema (never the
/// password) and, for the server's own errors, its message and SQLSTATE.
///
/// ```swift
/// let session = try PostgresSession(PostgresLocation("postgres://ci@localhost/ledger"))
/// let count = try session.query("SELECT count(*) FROM events").first?.int(0)
/// ```
final class PostgresSession {
    let location: PostgresLocation
    private let connection: PostgresConnection
    private let logger: Logger
    /// Nesting of ``transaction(_:)``: only the outermost begins and commits.
    private var depth = 0
    /// The answer being waited for, failed when the connection closes (see ``answer(_:)``).
    private let awaited = NIOLockedValueBox<EventLoopPromise<PostgresQueryResult>?>(nil)

    init(_ location: PostgresLocation) throws {
        self.location = location
        var logger = Logger(label: "remedy.postgres")
        logger.logLevel = .critical
        self.logger = logger
        var configuration: PostgresConnection.Configuration
        if let socket = location.socketPath {
            configuration = .init(unixSocketPath: socket, username: location.user, password: location.password, database: location.database)
        } else {
            let tls: PostgresConnection.Configuration.TLS
            switch location.tlsMode {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
            configuration = .init(host: location.host, port: location.port, username: location.user,
                                  password: location.password, database: location.database, tls: tls)
        }
        configuration.options.connectTimeout = .seconds(10)
        // The schema is every statement's search path from the start: no round trip to set it.
        configuration.options.additionalStartupParameters = [("search_path", location.schema)]
        do {
            connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration,
                                                        id: 1, logger: logger).wait()
        } catch {
            throw LedgerError(.ledgerNotFound, "cannot connect to the PostgreSQL ledger \(location): \(Self.reason(error))")
        }
        let awaited = self.awaited
        connection.closeFuture.whenComplete { _ in
            awaited.withLockedValue { $0?.fail(PostgresSession.ConnectionClosed()) }
        }
    }

    /// The connection closed under a statement whose answer had not come.
    struct ConnectionClosed: Error, CustomStringConvertible {
        var description: String { "the server closed the connection" }
    }

    /// Waits for a statement's answer, or for the connection to close. postgres-nio 1.33
    /// leaves a statement sent as the server goes away (`pg_ctl stop -m immediate`) waiting
    /// forever; a closed connection now fails it, so the command ends with "lost the
    /// connection" instead of hanging.
    private func answer(_ future: EventLoopFuture<PostgresQueryResult>) throws -> PostgresQueryResult {
        let promise = future.eventLoop.makePromise(of: PostgresQueryResult.self)
        future.cascade(to: promise)
        awaited.withLockedValue { $0 = promise }
        defer { awaited.withLockedValue { $0 = nil } }
        if connection.isClosed { promise.fail(ConnectionClosed()) }
        return try promise.futureResult.wait()
    }

    deinit {
        try? connection.close().wait()
    }

    /// A write sent without waiting for its answer (``send(_:_:)``): the next statement waits
    /// for it first, and its error, if any, is that statement's.
    private var inFlight: EventLoopFuture<PostgresQueryResult>?

    /// Runs one statement and returns its rows.
    @discardableResult
    func query(_ sql: String, _ values: [PostgresValue] = []) throws -> [PostgresResultRow] {
        try settle()
        do {
            let result = try answer(connection.query(PostgresQuery(unsafeSQL: sql, binds: Self.binds(values)), logger: logger))
            return result.map(PostgresResultRow.init)
        } catch {
            throw mapped(error)
        }
    }

    /// Sends a write and returns at once, so the caller prepares the next one while the server
    /// executes this: a bulk append's inserts overlap with reading and checking the events
    /// that follow. Statements on one connection run in order, and every later statement (a
    /// commit included) waits for this one and fails with its error.
    func send(_ sql: String, _ values: [PostgresValue]) throws {
        try settle()
        inFlight = connection.query(PostgresQuery(unsafeSQL: sql, binds: Self.binds(values)), logger: logger)
    }

    /// Waits for the write in flight, if any.
    func settle() throws {
        guard let pending = inFlight else { return }
        inFlight = nil
        do { _ = try answer(pending) } catch { throw mapped(error) }
    }

    private static func binds(_ values: [PostgresValue]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: values.count)
        for value in values { value.bind(into: &binds) }
        return binds
    }

    /// Runs one statement without parameters, for what it does.
    func execute(_ sql: String) throws {
        try settle()
        do {
            _ = try answer(connection.query(PostgresQuery(unsafeSQL: sql), logger: logger))
        } catch {
            throw mapped(error)
        }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    /// Inside a transaction already, `body` joins it.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        if depth > 0 { return try body() }
        try execute("BEGIN")
        depth += 1
        do {
            let result = try body()
            depth -= 1
            try execute("COMMIT")
            return result
        } catch {
            depth -= 1
            try? settle()
            try? execute("ROLLBACK")
            throw error
        }
    }

    /// Starts listening on `channel`: `onNotify` runs (on the connection's event loop) for
    /// each notification until the returned context is stopped.
    func listen(_ channel: String, _ onNotify: @escaping @Sendable () -> Void) throws -> PostgresListenContext {
        let context = connection.addListener(channel: channel) { _, _ in onNotify() }
        try execute("LISTEN \(channel)")
        return context
    }

    /// Whether a transaction is open.
    var inTransaction: Bool { depth > 0 }

    /// A server error as a ledger error: busy for lock and serialization failures, a
    /// conflict for unique keys, storage for a full disk, unavailable for a lost connection.
    func mapped(_ error: any Error) -> LedgerError {
        if let error = error as? LedgerError { return error }
        let state = (error as? PSQLError)?.serverInfo?[.sqlState] ?? ""
        let reason = Self.reason(error)
        switch state {
        case "23505": return LedgerError(.conflict, "the PostgreSQL ledger \(location) refused a duplicate: \(reason)")
        case "40001", "40P01", "55P03", "57014": return LedgerError(.busy, "the PostgreSQL ledger \(location) is busy: \(reason)")
        case "53100", "53200": return LedgerError(.storage, "the PostgreSQL ledger \(location) is out of space or memory: \(reason)")
        case "3F000", "42P01": return LedgerError(.notALedger, "\(location) holds no remedy ledger (\(reason)); create one with `remedy init --ledger \(location)`")
        case "P0001": return LedgerError(.readOnly, "the PostgreSQL ledger \(location) refused a change: \(reason)")
        case "42501": return LedgerError(.readOnly, "the PostgreSQL ledger \(location) refused this user: \(reason)")
        default:
            // 08: connection exceptions; 57P01-57P05: the server shut down or crashed.
            if state.hasPrefix("08") || state.hasPrefix("57P") || error is ConnectionClosed || (error as? PSQLError).map({ [.serverClosedConnection, .connectionError, .clientClosedConnection].contains($0.code) }) == true {
                return LedgerError(.ledgerNotFound, "lost the connection to the PostgreSQL ledger \(location): \(reason)")
            }
            return LedgerError(.storage, "the PostgreSQL ledger \(location) failed: \(reason)")
        }
    }

    /// What went wrong, in one line: the server's message and SQLSTATE, or the client's error.
    static func reason(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        if let info = error.serverInfo, let message = info[.message] {
            return message + (info[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
        }
        if let underlying = error.underlying { return "\(underlying)" }
        return "\(error.code)"
    }
}

/// A value bound to a query's `$n` parameter.
enum PostgresValue {
    case int(Int)
    case text(String)
    case bytes([UInt8])
    case textArray([String])
    case intArray([Int])
    case bytesArray([[UInt8]])
    case null

    func bind(into binds: inout PostgresBindings) {
        switch self {
        case .int(let value): binds.append(value)
        case .text(let value): binds.append(value)
        case .bytes(let value): binds.append(ByteBuffer(bytes: value))
        case .textArray(let value): binds.append(value)
        case .intArray(let value): binds.append(value)
        case .bytesArray(let value): binds.append(value.map { ByteBuffer(bytes: $0) })
        case .null: binds.appendNull()
        }
    }
}

/// One row of a result, read by column index.
struct PostgresResultRow {
    let row: PostgresRow

    init(_ row: PostgresRow) { self.row = row }

    private var cells: PostgresRandomAccessRow { row.makeRandomAccess() }

    func int(_ index: Int) throws -> Int { try cells[index].decode(Int.self) }
    func optionalInt(_ index: Int) throws -> Int? { try cells[index].decode(Int?.self) }
    func text(_ index: Int) throws -> String { try cells[index].decode(String.self) }
    func bytes(_ index: Int) throws -> [UInt8] {
        var buffer = try cells[index].decode(ByteBuffer.self)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }
    func bool(_ index: Int) throws -> Bool { try cells[index].decode(Bool.self) }
    func isNull(_ index: Int) -> Bool { cells[index].bytes == nil }
}

/// Several writes sent as one statement, one round trip: each a data-modifying `WITH` part,
/// the last one the statement's own. `$` in each part's SQL stands for its next value.
///
/// ```swift
/// var statement = PostgresStatement()
/// statement.insert(into: "tree_heads (size, root, recorded_at)", rows: [[.int(1), .bytes(root), .text(now)]])
/// statement.finally("SELECT pg_notify($, $)", [.text(channel), .text("1")])
/// try statement.run(on: session)
/// ```
struct PostgresStatement {
    private var parts: [String] = []
    private var last: String?
    private var values: [PostgresValue] = []

    /// A multi-row `INSERT INTO target VALUES …` followed by `clause` (an `ON CONFLICT …`), or
    /// nothing when `rows` is empty.
    mutating func insert(into target: String, rows: [[PostgresValue]], then clause: String = "") {
        guard let width = rows.first?.count else { return }
        let tuples = rows.map { _ in "(" + Array(repeating: "$", count: width).joined(separator: ", ") + ")" }
        add("INSERT INTO \(target) VALUES " + tuples.joined(separator: ", ") + (clause.isEmpty ? "" : " " + clause), rows.flatMap { $0 })
    }

    /// A many-row `INSERT INTO target SELECT * FROM unnest(…)`: one array a column, each cast
    /// to its SQL type (`"bigint"`, `"text"`, `"bytea"`). The statement's text stays the same
    /// whatever the row count, so the server parses a few hundred characters, not a
    /// `VALUES` list of thousands of parameters; nothing when the columns are empty.
    mutating func insert(into target: String, columns: [(type: String, values: PostgresValue)], rowCount: Int) {
        guard rowCount > 0 else { return }
        let arrays = columns.map { "$::\($0.type)[]" }.joined(separator: ", ")
        add("INSERT INTO \(target) SELECT * FROM unnest(\(arrays))", columns.map(\.values))
    }

    /// A write whose `$`s take `values` in order.
    mutating func add(_ sql: String, _ values: [PostgresValue]) {
        parts.append(numbered(sql, values))
    }

    /// The statement's own query, after every part (a `SELECT`).
    mutating func finally(_ sql: String, _ values: [PostgresValue]) {
        last = numbered(sql, values)
    }

    private mutating func numbered(_ sql: String, _ more: [PostgresValue]) -> String {
        var text = ""
        var next = values.count
        for character in sql {
            if character == "$" {
                next += 1
                text += "$\(next)"
            } else {
                text.append(character)
            }
        }
        values += more
        return text
    }

    /// Runs it and waits for the answer; nothing when it has no part.
    func run(on session: PostgresSession) throws {
        guard let sql else { return }
        try session.query(sql, values)
    }

    /// Sends it without waiting (``PostgresSession/send(_:_:)``); nothing when it has no part.
    func send(on session: PostgresSession) throws {
        guard let sql else { return }
        try session.send(sql, values)
    }

    private var sql: String? {
        if parts.isEmpty, last == nil { return nil }
        if parts.count == 1, last == nil { return parts[0] }
        let ctes = parts.enumerated().map { "w\($0.offset) AS (\($0.element))" }
        return (ctes.isEmpty ? "" : "WITH " + ctes.joined(separator: ", ") + " ") + (last ?? "SELECT 1")
    }
}
