#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Events
import LedgerStore

extension SkillMapAdopted {
    /// The adoption of the map `text` (parsed, hashed), as `remedy skills adopt` records it.
    ///
    /// - Throws: ``EventError`` (`.invalidSkillMap`) naming a line that is not `glob  skill`;
    ///   ``LoopError`` (`.invalidArgument`) for a map with no rules.
    public init(text: String, name: String, by actor: String?) throws {
        let map = try SkillMap(text: text, name: name)
        guard !map.rules.isEmpty else { throw LoopError(.invalidArgument, "\(name) has no rules (one 'glob  skill' a line)") }
        self.init(mapSHA256: SHA256.hash(data: Array(text.utf8)).lowercaseHex, text: text, rules: map.rules, by: actor)
    }
}

extension SkillMap {
    /// The map at `path`, else at ``defaultPath`` when the repository has one, else none:
    /// what `remedy ingest` and `remedy loop run` (for verification runs) attribute cases by
    /// when the ledger has no adopted map (``adopted(in:)``).
    ///
    /// - Throws: ``LedgerError`` when the file cannot be read, ``EventError`` when it does not parse.
    public static func load(path: String?) throws -> SkillMap? {
        guard let path = path ?? (access(defaultPath, R_OK) == 0 ? defaultPath : nil) else { return nil }
        return try SkillMap(text: String(decoding: try InputFile.readPayload(path: path), as: UTF8.self), name: path)
    }

    /// The skill map last adopted into the ledger (`remedy skills adopt`), if any.
    ///
    /// - Throws: ``LedgerError``.
    public static func adopted(in store: any EventStore) throws -> SkillMapAdopted? {
        try adopted(reading: store.events)
    }

    /// The skill map last adopted, as a write transaction sees it.
    static func adopted(in writer: any EventStoreWriter) throws -> SkillMapAdopted? {
        try adopted(reading: writer.events)
    }

    private static func adopted(reading events: (EventQuery) throws -> [StoredEvent]) throws -> SkillMapAdopted? {
        var query = EventQuery()
        query.streams = [LoopStreams.skillMap]
        query.types = [LoopEventType.skillMapAdopted.rawValue]
        return try events(query).last.map { try LoopPayload.decode(SkillMapAdopted.self, from: try EventEnvelope(decoding: $0.body).data) }
    }

    /// What ingest attributes cases by: the map at `path` when given, else the ledger's adopted
    /// map, else the repository's ``defaultPath`` file.
    ///
    /// - Throws: ``LedgerError``, ``EventError``.
    public static func forIngest(path: String?, store: any EventStore) throws -> SkillMap? {
        if let path { return try load(path: path) }
        if let adopted = try adopted(in: store) { return adopted.map }
        return try load(path: nil)
    }
}
