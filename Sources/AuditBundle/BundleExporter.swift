#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Events
import LedgerStore
import Projections
import SystemIO

/// What `remedy export` writes: which events, under which checkpoint.
public enum ExportRange: Sendable, Equatable {
    /// Every event up to the latest stored checkpoint.
    case latestCheckpoint
    /// Every event up to the stored checkpoint of this size.
    case checkpoint(size: Int)
    /// The events from one position to another, under the latest checkpoint that covers them.
    case positions(from: Int, to: Int)
    /// The events recorded in `[since, until)`, under the latest checkpoint that covers them.
    case times(since: Timestamp?, until: Timestamp?)
}

/// What an export wrote.
public struct ExportSummary: Sendable, Equatable {
    public var path: String
    public var manifest: BundleManifest
    /// The size of the `.tar.gz` written.
    public var bytes: Int
    /// Events in the ledger after the bundle's checkpoint, left out (sign a newer one to include them).
    public var eventsAfterCheckpoint: Int
}

/// Writes an audit bundle: a deterministic gzip-compressed ustar archive of a ledger's events,
/// its signed checkpoint and proofs, its policies and its read models (see ``BundleMember``).
///
/// The same ledger and range give the same bytes (with the same zlib): members are sorted by
/// name, headers carry mtime 0, owner 0:0 and mode 0644, the gzip header no time or OS, and
/// nothing depends on when or where the export ran. The file is written under a temporary
/// name and renamed when complete.
///
/// ```swift
/// let summary = try BundleExporter(ledger: ledger, projections: ReadModels.all).export(.latestCheckpoint, to: "audit.tar.gz")
/// ```
public struct BundleExporter {
    public let ledger: any EventStore
    public let projections: [any Projection.Type]

    public init(ledger: any EventStore, projections: [any Projection.Type]) {
        self.ledger = ledger
        self.projections = projections
    }

    /// Writes the bundle.
    ///
    /// - Throws: ``BundleError`` (`.invalidArgument` for an empty range or no checkpoint that
    ///   covers it, `.io` when the file cannot be written), ``LedgerError`` when the ledger
    ///   cannot be read or no longer extends its checkpoint.
    public func export(_ range: ExportRange, to path: String, replacing: Bool = false, progress: (Int) -> Void = { _ in }) throws -> ExportSummary {
        try ledger.checkOutput(path, replacing: replacing)
        let head = try ledger.treeHead()
        let (checkpoint, from, to) = try resolve(range, head: head)
        // The ledger must still be the one the checkpoint signed.
        try ledger.checkConsistency(with: checkpoint)
        let size = checkpoint.checkpoint.size
        let partial = from != 1 || to != size

        var members: [BundleManifest.Member] = []
        func described(_ name: String, _ bytes: [UInt8]) -> BundleManifest.Member {
            BundleManifest.Member(name: name, size: bytes.count, sha256: SHA256Hex.of(bytes))
        }

        // Members other than the events are small: made first, so the manifest can list them.
        let readme = Array(BundleReadme.text.utf8)
        let note = checkpoint.bytes
        var earlier: [UInt8] = []
        var earlierSizes: [Int] = []
        for stored in try ledger.checkpoints() where stored.checkpoint.size < size {
            let proof = try ledger.consistencyProof(from: stored.checkpoint.size, to: size)
            let line = EarlierCheckpoint(size: stored.checkpoint.size, note: String(decoding: stored.bytes, as: UTF8.self),
                                         consistency: proof.hashes.map { Base64.encode($0.bytes) })
            earlier += try LoopPayload.encode(line) + [0x0A]
            earlierSizes.append(stored.checkpoint.size)
        }
        var inclusion: [UInt8]?
        if partial {
            var lines: [UInt8] = []
            for position in from...to {
                let proof = try ledger.inclusionProof(position: position, size: size)
                lines += try LoopPayload.encode(InclusionLine(position: position, hashes: proof.hashes.map { Base64.encode($0.bytes) })) + [0x0A]
            }
            inclusion = lines
        }
        let policies = try adoptedPolicies(from: from, to: to)
        let spool = try Spool()
        let (snapshot, projectionInfo) = try readModelSnapshot(at: to, head: head.size, into: spool)

        let output = try OutputFile(path: path)
        let gzip = try GzipWriter(to: output)
        let tar = TarWriter { try gzip.write($0) }
        try tar.add(name: BundleMember.readme, bytes: readme)
        members.append(described(BundleMember.readme, readme))
        try tar.add(name: BundleMember.checkpoint, bytes: note)
        members.append(described(BundleMember.checkpoint, note))
        try tar.add(name: BundleMember.checkpoints, bytes: earlier)
        members.append(described(BundleMember.checkpoints, earlier))

        let (count, bytes) = try ledger.storedBytes(from: from, to: to)
        guard count == to - from + 1 else {
            throw LedgerError(.corrupt, "the ledger lacks events between \(from) and \(to); run `remedy verify`")
        }
        let eventsSize = bytes + count
        try tar.begin(name: BundleMember.events, size: eventsSize)
        var hasher = SHA256()
        var byType: [String: Int] = [:]
        var written = 0
        var query = EventQuery()
        query.fromPosition = from
        query.toPosition = to
        try ledger.forEachEvent(query) { position, type, _, body in
            try tar.write(body)
            try Self.newline.withUnsafeBytes { try tar.write($0) }
            hasher.update(bufferPointer: body)
            Self.newline.withUnsafeBytes { hasher.update(bufferPointer: $0) }
            byType[type, default: 0] += 1
            written += body.count + 1
            if position % 65_536 == 0 { progress(position - from + 1) }
            return true
        }
        guard written == eventsSize else {
            throw LedgerError(.corrupt, "the events between \(from) and \(to) changed size while being read; run `remedy verify`")
        }
        members.append(BundleManifest.Member(name: BundleMember.events, size: eventsSize, sha256: hasher.finalize().lowercaseHex))
        if let inclusion {
            try tar.add(name: BundleMember.inclusion, bytes: inclusion)
            members.append(described(BundleMember.inclusion, inclusion))
        }
        let policyMembers = policies.map { (BundleMember.policy($0.sha256), $0.text) }
        let manifest = BundleManifest(
            format: BundleManifest.formatName, formatVersion: BundleManifest.currentVersion, origin: checkpoint.checkpoint.origin,
            range: .init(from: from, to: to), tree: .init(size: size, root: checkpoint.checkpoint.root.hex),
            events: .init(count: count, byType: byType), checkpoints: earlierSizes, policies: policies.map(\.sha256),
            readModels: .init(position: to, projections: projectionInfo),
            members: members + policyMembers.map { described($0.0, $0.1) } + snapshot.map(\.described))
        try tar.add(name: BundleMember.manifest, bytes: try manifest.encoded())
        for (name, bytes) in policyMembers { try tar.add(name: name, bytes: bytes) }
        for member in snapshot {
            try tar.begin(name: member.name, size: member.size)
            try spool.read(from: member.offset, count: member.size) { try tar.write($0) }
        }
        try tar.finish()
        try gzip.finish()
        try output.commit()
        progress(count)
        return ExportSummary(path: path, manifest: manifest, bytes: fileSize(atPath: path) ?? 0, eventsAfterCheckpoint: head.size - size)
    }

    private static let newline: [UInt8] = [0x0A]

    /// The checkpoint and positions a range names.
    private func resolve(_ range: ExportRange, head: TreeHead) throws -> (SignedCheckpoint, Int, Int) {
        let none = "no signed checkpoint is stored: sign one with remedy checkpoint --key FILE (or export --key FILE)"
        switch range {
        case .latestCheckpoint:
            guard let latest = try ledger.latestCheckpoint() else { throw BundleError(.invalidArgument, none) }
            return (latest, 1, latest.checkpoint.size)
        case .checkpoint(let size):
            guard let stored = try ledger.checkpoint(size: size) else {
                let sizes = try ledger.checkpoints().map { String($0.checkpoint.size) }
                throw BundleError(.invalidArgument, "no checkpoint of size \(size) is stored (stored: \(sizes.isEmpty ? "none" : sizes.joined(separator: ", ")))")
            }
            return (stored, 1, size)
        case .positions(let from, let to):
            return try covering(from: from, to: to, head: head, none: none)
        case .times(let since, let until):
            let signed = try ledger.latestCheckpoint()?.checkpoint.size ?? head.size
            let from = try since.map { try ledger.firstPosition(recordedAtOrAfter: $0) } ?? 1
            let to = try until.map { try ledger.firstPosition(recordedAtOrAfter: $0) - 1 } ?? signed
            guard from <= head.size, from <= to else { throw BundleError(.invalidArgument, "no events were recorded in that time range") }
            guard from <= signed else {
                throw BundleError(.invalidArgument, "the events of that time range come after the latest checkpoint (size \(signed)): sign a newer one with remedy checkpoint --key FILE")
            }
            return try covering(from: from, to: to, head: head, none: none)
        }
    }

    private func covering(from: Int, to: Int, head: TreeHead, none: String) throws -> (SignedCheckpoint, Int, Int) {
        guard from >= 1, from <= to else { throw BundleError(.invalidArgument, "the range \(from)-\(to) holds no events") }
        guard to <= head.size else { throw BundleError(.invalidArgument, "the ledger has \(head.size) events, not \(to)") }
        guard let latest = try ledger.latestCheckpoint() else { throw BundleError(.invalidArgument, none) }
        guard latest.checkpoint.size >= to else {
            throw BundleError(.invalidArgument, "the latest checkpoint signs \(latest.checkpoint.size) events, not \(to): sign a newer one with remedy checkpoint --key FILE")
        }
        return (latest, from, to)
    }

    /// The text of each policy adopted in the range, by SHA-256 (each once, in hash order).
    private func adoptedPolicies(from: Int, to: Int) throws -> [(sha256: String, text: [UInt8])] {
        var query = EventQuery()
        query.types = [LoopEventType.policyAdopted.rawValue]
        query.fromPosition = from
        query.toPosition = to
        query.byType = true
        var policies: [String: [UInt8]] = [:]
        for event in try ledger.events(query) {
            let envelope = try EventEnvelope(decoding: event.body)
            let adopted = try LoopPayload.decode(PolicyAdopted.self, from: envelope.data)
            policies[adopted.policySHA256] = Array(adopted.text.utf8)
        }
        return policies.keys.sorted().map { ($0, policies[$0]!) }
    }

    /// Every table of every projection as of `position`, a member each, in name order: each
    /// member's place in the spool, size and SHA-256. Live tables are streamed row by row.
    private func readModelSnapshot(at position: Int, head: Int, into spool: Spool) throws -> ([SpooledMember], [BundleManifest.ProjectionInfo]) {
        if position == head, ledger.isWritable { _ = try ledger.catchUp(projections) }
        // One read transaction: the tables cannot move on between the check and the rows.
        return try ledger.readTransaction {
            try snapshot(at: position, head: head, into: spool)
        }
    }

    private func snapshot(at position: Int, head: Int, into spool: Spool) throws -> ([SpooledMember], [BundleManifest.ProjectionInfo]) {
        let live = position == head ? try ledger.readModelsReflect(projections, position: position) : false
        let memory = live ? [] : try ledger.projectInMemory(projections, through: position, logs: true)
        var tables: [(ReadModelTable, Int)] = []
        for (index, projection) in projections.enumerated() {
            for table in projection.tables { tables.append((table, index)) }
        }
        var members: [SpooledMember] = []
        for (table, index) in tables.sorted(by: { $0.0.name < $1.0.name }) {
            let start = spool.size
            var hasher = SHA256()
            func add(_ row: [RowValue]) throws {
                let line = ReadModelSnapshot.lines([row], table: table)
                hasher.update(data: line)
                try spool.write(line)
            }
            if live {
                try ledger.forEachRow(of: table, add)
            } else {
                for row in memory[index].rows(table.name) { try add(row) }
            }
            members.append(SpooledMember(name: BundleMember.readModel(table.name), offset: start, size: spool.size - start,
                                         sha256: hasher.finalize().lowercaseHex))
        }
        let info = projections.map { BundleManifest.ProjectionInfo(name: $0.name, version: $0.version, tables: $0.tables.map(\.name)) }
        return (members, info)
    }

}

/// A member written to the spool first, and where it is there.
struct SpooledMember {
    var name: String
    var offset: Int
    var size: Int
    var sha256: String

    var described: BundleManifest.Member { BundleManifest.Member(name: name, size: size, sha256: sha256) }
}

/// A read model's rows as NDJSON: one canonical JSON object a row, keyed by column name, in
/// key order; what bundles carry and `verify-bundle --replay` compares.
enum ReadModelSnapshot {
    static func lines(_ rows: [[RowValue]], table: ReadModelTable) -> [UInt8] {
        let order = table.columns.indices.sorted { Array(table.columns[$0].name.utf16).lexicographicallyPrecedes(Array(table.columns[$1].name.utf16)) }
        var out: [UInt8] = []
        for row in rows {
            out.append(UInt8(ascii: "{"))
            for (offset, column) in order.enumerated() {
                if offset > 0 { out.append(UInt8(ascii: ",")) }
                CanonicalJSON.appendString(table.columns[column].name, to: &out)
                out.append(UInt8(ascii: ":"))
                switch row[column] {
                case .integer(let value): CanonicalJSON.appendInteger(value, to: &out)
                case .text(let value): CanonicalJSON.appendString(value, to: &out)
                case .null: out.append(contentsOf: Array("null".utf8))
                }
            }
            out.append(contentsOf: Array("}\n".utf8))
        }
        return out
    }
}
