#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Events
import LedgerStore
import Projections

/// The checks of one verification pass, member by member, as ``TarReader`` finds them and
/// the reading thread hashes them.
///
/// Members come in name order: the checkpoint (verified with the keys given) before the
/// events it signs, the events before the manifest that describes them, the policies and read
/// models after it. Nothing but the small members is held in memory.
struct BundleChecks {
    static let rootMismatch = "events.ndjson: the events do not hash to"

    private let verifier: BundleVerifier
    private let onEvent: ((VerifiedEvent) throws -> Void)?
    private let progress: (Int) -> Void

    private enum Kind: Equatable {
        case readme, checkpoint, checkpoints, events, inclusion, manifest
        case policy(String)
        case readModel(String)
    }

    private var lastName: String?
    private var kind = Kind.readme
    private var name = ""
    private var size = 0
    private var buffer: [UInt8] = []
    private var lines = LineSplitter(member: "")
    private var members: [BundleManifest.Member] = []
    private var seen: Set<String> = []

    private var signed: SignedCheckpoint?
    private var earlier: [(size: Int, trusted: Bool)] = []
    private var earlierRoots: [Int: TreeHash] = [:]
    private var earlierNotes: [SignedCheckpoint] = []
    private var knownConsistent: [Int] = []
    private var events: EventChecks?
    private var inclusionLines = 0
    private var prefixRoot: TreeHash?
    private var manifest: BundleManifest?
    /// The manifest's members by name.
    private var listed: [String: BundleManifest.Member] = [:]
    private var replayed: [String: String] = [:]
    private var readModelsSeen: Set<String> = []

    /// The most bytes a member held in memory may have (the manifest, the checkpoint).
    static let smallMemberLimit = 16 << 20
    /// The most earlier checkpoints a bundle may carry, and the largest note.
    static let maximumEarlierCheckpoints = 100_000
    static let maximumNote = 64 << 10

    init(verifier: BundleVerifier, onEvent: ((VerifiedEvent) throws -> Void)?, progress: @escaping (Int) -> Void) {
        self.verifier = verifier
        self.onEvent = onEvent
        self.progress = progress
    }

    private func fail(_ message: String) -> BundleError { BundleError.failed(name, message) }

    // MARK: - Members

    mutating func beginMember(name: String, size: Int) throws {
        self.name = name
        self.size = size
        if let lastName, name <= lastName {
            throw fail("comes after \(lastName): a bundle's members are in name order")
        }
        lastName = name
        kind = try Self.kind(of: name)
        buffer.removeAll(keepingCapacity: true)
        lines = LineSplitter(member: name)
        switch kind {
        case .checkpoint, .manifest, .readme:
            guard size <= Self.smallMemberLimit else { throw fail("\(size) bytes is too large for this member") }
        case .checkpoints, .events:
            guard signed != nil else { throw fail("comes before \(BundleMember.checkpoint), which every bundle has") }
            if kind == .events { events = try EventChecks(checkpoint: signed!.checkpoint, verifier: verifier, known: knownSizes) }
        case .inclusion:
            guard let events else { throw fail("comes before \(BundleMember.events)") }
            guard !events.isWhole else { throw fail("a bundle of the whole signed tree carries no inclusion proofs") }
        case .policy, .readModel:
            guard manifest != nil else { throw fail("comes before \(BundleMember.manifest)") }
            guard let member = listed[name] else { throw fail("is not listed in the manifest") }
            guard member.size == size else { throw fail("is \(size) bytes, but the manifest says \(member.size)") }
        }
    }

    mutating func memberData(_ bytes: UnsafeRawBufferPointer) throws {
        switch kind {
        case .checkpoint, .manifest, .readme:
            buffer.append(contentsOf: bytes)
        case .checkpoints, .inclusion:
            // The splitter is taken out while it calls back into self.
            var splitter = LineSplitter(member: name)
            swap(&splitter, &lines)
            defer { swap(&splitter, &lines) }
            let earlier = kind == .checkpoints
            try splitter.feed(bytes) { line, number in
                try earlier ? checkEarlier(line, number: number) : checkInclusion(line, number: number)
            }
        case .events:
            try events!.feed(bytes, onEvent: onEvent, progress: progress)
        case .policy, .readModel:
            break
        }
    }

    mutating func endMember(sha256 digest: String) throws {
        if kind != .manifest {
            members.append(BundleManifest.Member(name: name, size: size, sha256: digest))
            seen.insert(name)
        }
        switch kind {
        case .readme:
            // The recipe an auditor runs is this format's, word for word: a bundle cannot
            // bring a friendlier one.
            guard buffer.elementsEqual(BundleReadme.text.utf8) else {
                throw fail("is not the README.txt of this bundle format (its recipe was changed)")
            }
        case .checkpoint:
            try checkCheckpoint()
        case .checkpoints:
            try lines.finish()
            try checkKnownAgainstEarlier()
        case .events:
            try events!.finish()
            if !verifier.replay.isEmpty { replayed = try events!.replayedTables() }
        case .inclusion:
            try lines.finish()
            guard inclusionLines == events!.count else {
                throw fail("holds \(inclusionLines) proofs for \(events!.count) events")
            }
        case .manifest:
            try checkManifest()
        case .policy(let sha):
            guard digest == sha else { throw fail("its text hashes to \(digest), not the SHA-256 its name gives") }
            guard manifest!.policies.contains(sha) else { throw fail("is not a policy adopted in the bundle's events") }
            try checkListed(digest)
        case .readModel(let table):
            try checkListed(digest)
            readModelsSeen.insert(table)
            if !verifier.replay.isEmpty {
                guard let expected = replayed[table] else { throw fail("is not a read model this remedy rebuilds") }
                guard expected == digest else {
                    throw fail("differs from the read model rebuilt from the events (the snapshot does not follow from them)")
                }
            }
        }
    }

    private func checkListed(_ digest: String) throws {
        guard let listed = listed[name], listed.sha256 == digest else {
            throw fail("its SHA-256 is \(digest), not what the manifest says")
        }
    }

    private static func kind(of name: String) throws -> Kind {
        switch name {
        case BundleMember.readme: return .readme
        case BundleMember.checkpoint: return .checkpoint
        case BundleMember.checkpoints: return .checkpoints
        case BundleMember.events: return .events
        case BundleMember.inclusion: return .inclusion
        case BundleMember.manifest: return .manifest
        default:
            if name.hasPrefix(BundleMember.policiesFolder), name.hasSuffix(".json") {
                let sha = String(name.dropFirst(BundleMember.policiesFolder.count).dropLast(5))
                if sha.utf8.count == 64, sha.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) { return .policy(sha) }
            }
            if name.hasPrefix(BundleMember.readModelsFolder), name.hasSuffix(".ndjson") {
                let table = String(name.dropFirst(BundleMember.readModelsFolder.count).dropLast(7))
                if !table.isEmpty, table.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) { return .readModel(table) }
            }
            throw BundleError.failed("member \(name)", "is not part of an audit bundle")
        }
    }

    // MARK: - Checkpoints

    private var knownSizes: [Int: TreeHash] {
        Dictionary(verifier.known.map { ($0.checkpoint.size, $0.checkpoint.root) }, uniquingKeysWith: { first, _ in first })
    }

    private mutating func checkCheckpoint() throws {
        let parsed: SignedCheckpoint
        do {
            parsed = try SignedCheckpoint(parsing: buffer)
            try parsed.verify(trusting: verifier.keys)
        } catch let error as LedgerError {
            throw fail(error.message)
        }
        let checkpoint = parsed.checkpoint
        for kept in verifier.known.map(\.checkpoint) {
            guard kept.origin == checkpoint.origin else {
                throw fail("the bundle is of origin \(checkpoint.origin), the kept checkpoint of size \(kept.size) of \(kept.origin)")
            }
            guard kept.size <= checkpoint.size else {
                throw fail("signs \(checkpoint.size) events, fewer than the kept checkpoint of size \(kept.size): the log was cut back, or the bundle is older")
            }
            if kept.size == checkpoint.size {
                guard kept.root == checkpoint.root else {
                    throw fail("and the kept checkpoint both sign \(kept.size) events with different roots: the log forked")
                }
                knownConsistent.append(kept.size)
            }
        }
        signed = parsed
    }

    private mutating func checkEarlier(_ line: UnsafeRawBufferPointer, number: Int) throws {
        let checkpoint = signed!.checkpoint
        let entry: EarlierCheckpoint
        do { entry = try LoopPayload.decode(EarlierCheckpoint.self, from: line) } catch {
            throw fail("line \(number) is not an earlier checkpoint: \(DecodingErrorText.describe(error))")
        }
        guard earlier.count < Self.maximumEarlierCheckpoints, entry.note.utf8.count <= Self.maximumNote else {
            throw fail("line \(number): more earlier checkpoints, or a larger note, than a bundle carries")
        }
        let note: SignedCheckpoint
        let trusted: Bool
        do {
            note = try SignedCheckpoint(parsing: Array(entry.note.utf8))
            trusted = try !note.note.trustedSigners(verifier.keys).isEmpty
        } catch let error as LedgerError {
            throw fail("line \(number): \(error.message)")
        }
        let earlierCheckpoint = note.checkpoint
        guard earlierCheckpoint.size == entry.size, earlierCheckpoint.origin == checkpoint.origin,
              entry.size >= 1, entry.size < checkpoint.size, earlier.last.map({ $0.size < entry.size }) ?? true else {
            throw fail("line \(number): the checkpoint of size \(earlierCheckpoint.size) (origin \(earlierCheckpoint.origin)) does not belong here")
        }
        let hashes = try entry.consistency.map { text -> TreeHash in
            guard let bytes = Base64.decode(text), let hash = TreeHash(bytes: bytes) else { throw fail("line \(number): a proof hash is not base64 of 32 bytes") }
            return hash
        }
        do {
            try ConsistencyProof(from: entry.size, to: checkpoint.size, hashes: hashes).verify(fromRoot: earlierCheckpoint.root, toRoot: checkpoint.root)
        } catch let error as LedgerError {
            throw fail("line \(number): the checkpoint of size \(entry.size) is not consistent with the bundle's: \(error.message)")
        }
        earlier.append((entry.size, trusted))
        // Only notes a key given signed are worth keeping (import stores them).
        if trusted { earlierNotes.append(note) }
        earlierRoots[entry.size] = earlierCheckpoint.root
    }

    /// A kept checkpoint the events cannot reach (a partial bundle) must be one of the earlier
    /// ones, whose consistency proof was checked.
    private mutating func checkKnownAgainstEarlier() throws {
        for kept in verifier.known.map(\.checkpoint) where kept.size < signed!.checkpoint.size {
            if let root = earlierRoots[kept.size] {
                guard root == kept.root else {
                    throw fail("the checkpoint of size \(kept.size) in the bundle has another root than the kept one: the log forked")
                }
                knownConsistent.append(kept.size)
            }
        }
    }

    private mutating func checkInclusion(_ line: UnsafeRawBufferPointer, number: Int) throws {
        let events = self.events!
        let entry: InclusionLine
        do { entry = try LoopPayload.decode(InclusionLine.self, from: line) } catch {
            throw fail("line \(number) is not an inclusion proof: \(DecodingErrorText.describe(error))")
        }
        let position = events.first + number - 1
        guard entry.position == position, number <= events.count else {
            throw fail("line \(number) proves position \(entry.position), not \(position)")
        }
        let hashes = try entry.hashes.map { text -> TreeHash in
            guard let bytes = Base64.decode(text), let hash = TreeHash(bytes: bytes) else { throw fail("line \(number): a proof hash is not base64 of 32 bytes") }
            return hash
        }
        let checkpoint = signed!.checkpoint
        do {
            try MerkleProof.verifyInclusion(leaf: try events.leaves.leaf(at: number - 1), index: position - 1, size: checkpoint.size, proof: hashes, root: checkpoint.root)
        } catch let error as LedgerError {
            throw fail("line \(number): the event at position \(position) is not in the signed tree: \(error.message)")
        }
        if number == 1 && position > 1 {
            prefixRoot = MerkleProof.prefixRoot(index: position - 1, size: checkpoint.size, proof: hashes)
        }
        inclusionLines = number
    }

    // MARK: - The manifest

    private mutating func checkManifest() throws {
        let manifest: BundleManifest
        do { manifest = try LoopPayload.decode(BundleManifest.self, from: buffer.dropLast(buffer.last == 0x0A ? 1 : 0)) } catch {
            throw fail("not a bundle manifest: \(DecodingErrorText.describe(error))")
        }
        guard let events, events.count > 0 || verifier.allowEmpty else {
            throw BundleError.failed(BundleMember.events, events == nil ? "missing: the bundle has no events member" : "holds no events (pass --allow-empty to accept an empty bundle)")
        }
        let checkpoint = signed!.checkpoint
        guard manifest.format == BundleManifest.formatName, manifest.formatVersion == BundleManifest.currentVersion else {
            throw fail("format \(manifest.format) version \(manifest.formatVersion) is not \(BundleManifest.formatName) version \(BundleManifest.currentVersion)")
        }
        guard manifest.origin == checkpoint.origin else { throw fail("says origin \(manifest.origin), the checkpoint \(checkpoint.origin)") }
        guard manifest.tree.size == checkpoint.size, manifest.tree.root == checkpoint.root.hex else {
            throw fail("says tree size \(manifest.tree.size) and root \(manifest.tree.root), the signed checkpoint \(checkpoint.size) and \(checkpoint.root.hex)")
        }
        guard manifest.range.from == events.first, manifest.range.to == events.first + events.count - 1 else {
            throw fail("says events \(manifest.range.from)-\(manifest.range.to), the bundle holds \(events.first)-\(events.first + events.count - 1)")
        }
        guard manifest.events.count == events.count else { throw fail("counts \(manifest.events.count) events, the bundle holds \(events.count)") }
        if manifest.events.byType != events.byType {
            let types = Set(manifest.events.byType.keys).union(events.byType.keys).sorted()
            let first = types.first { manifest.events.byType[$0] != events.byType[$0] }!
            throw fail("counts \(manifest.events.byType[first] ?? 0) \(first) events, the bundle holds \(events.byType[first] ?? 0)")
        }
        guard manifest.checkpoints == earlier.map(\.size) else {
            throw fail("lists earlier checkpoints \(manifest.checkpoints), the bundle holds \(earlier.map(\.size))")
        }
        guard manifest.policies == events.policies.sorted() else {
            throw fail("lists policies \(manifest.policies), the events adopt \(events.policies.sorted())")
        }
        guard manifest.readModels.position == manifest.range.to else {
            throw fail("says its read models are as of position \(manifest.readModels.position), not the range's end \(manifest.range.to)")
        }
        if !verifier.replay.isEmpty {
            let ours = verifier.replay.map { BundleManifest.ProjectionInfo(name: $0.name, version: $0.version, tables: $0.tables.map(\.name)) }
            guard manifest.readModels.projections == ours else {
                throw fail("its read models are not the versions this remedy rebuilds: they cannot be replayed and compared")
            }
        }
        // Every member so far, in order, as listed; those still to come are checked as they arrive.
        guard manifest.members.count >= members.count else { throw fail("lists \(manifest.members.count) members, fewer than the bundle holds") }
        for (index, member) in members.enumerated() where manifest.members[index] != member {
            let listed = manifest.members[index]
            if listed.name != member.name { throw BundleError.failed(member.name, "is not where the manifest lists it (it lists \(listed.name))") }
            if listed.size != member.size { throw BundleError.failed(member.name, "is \(member.size) bytes, but the manifest says \(listed.size)") }
            throw BundleError.failed(member.name, "its SHA-256 is \(member.sha256), but the manifest says \(listed.sha256)")
        }
        for later in manifest.members.dropFirst(members.count) {
            guard later.name > BundleMember.manifest, (try? Self.kind(of: later.name)) != nil else {
                throw fail("lists \(later.name), which is not a member after the manifest")
            }
        }
        self.manifest = manifest
        listed = Dictionary(manifest.members.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        guard listed.count == manifest.members.count else { throw fail("lists a member twice") }
    }

    // MARK: - The end

    func finish() throws -> BundleVerification {
        guard signed != nil else { throw BundleError.failed(BundleMember.checkpoint, "missing: the bundle has no signed checkpoint") }
        guard let manifest else { throw BundleError.failed(BundleMember.manifest, "missing: the bundle has no manifest") }
        if !events!.isWhole {
            guard seen.contains(BundleMember.inclusion) else {
                let events = events!
                throw BundleError.failed(BundleMember.events, events.first == 1
                    ? "holds \(events.count) events, but the checkpoint signs \(signed!.checkpoint.size), and no inclusion proofs make it a part: events \(events.count + 1)-\(signed!.checkpoint.size) are missing (the bundle was cut short)"
                    : "holds positions \(events.first)-\(events.first + events.count - 1) of the tree, without the inclusion proofs a part carries")
            }
        }
        for listed in manifest.members where !seen.contains(listed.name) {
            throw BundleError.failed(listed.name, "missing: the manifest lists it but the bundle does not hold it")
        }
        if !verifier.replay.isEmpty, let table = Set(replayed.keys).subtracting(readModelsSeen).sorted().first {
            throw BundleError.failed(BundleMember.readModel(table), "missing: --replay rebuilt this read model, and the bundle does not hold it")
        }
        for kept in verifier.known.map(\.checkpoint) {
            guard knownConsistent.contains(kept.size) || events!.knownReached.contains(kept.size) else {
                throw BundleError.failed(BundleMember.checkpoints, "holds no consistency proof from the kept checkpoint of size \(kept.size), and the bundle's events do not start at 1")
            }
        }
        return BundleVerification(manifest: manifest, checkpoint: signed!.checkpoint, signed: signed!, earlierNotes: earlierNotes,
                                  earlierCheckpoints: earlier,
                                  knownCheckpoints: verifier.known.map(\.checkpoint.size).sorted(), replayed: !verifier.replay.isEmpty,
                                  prefixRoot: prefixRoot)
    }
}

/// Splits a member's bytes into lines across chunks; every line must end with a newline.
struct LineSplitter {
    let member: String
    private var carry: [UInt8] = []
    private(set) var number = 0
    /// The longest line accepted (a batch line's limit, plus the envelope).
    static let maximumLine = 2 << 20

    init(member: String) {
        self.member = member
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer, Int) throws -> Void) throws {
        guard let base = bytes.baseAddress else { return }
        var start = 0
        while start < bytes.count {
            guard let found = memchr(base + start, 0x0A, bytes.count - start) else {
                carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start...]))
                guard carry.count <= Self.maximumLine else { throw BundleError.failed(member, "line \(number + 1) is longer than \(Self.maximumLine) bytes") }
                return
            }
            let newline = base.distance(to: UnsafeRawPointer(found))
            number += 1
            if carry.isEmpty {
                try body(UnsafeRawBufferPointer(rebasing: bytes[start..<newline]), number)
            } else {
                carry.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<newline]))
                try carry.withUnsafeBytes { try body($0, number) }
                carry.removeAll(keepingCapacity: true)
            }
            start = newline + 1
        }
    }

    /// Checks nothing is left without its newline.
    func finish() throws {
        guard carry.isEmpty else { throw BundleError.failed(member, "line \(number + 1) does not end with a newline (the member was cut short)") }
    }
}
