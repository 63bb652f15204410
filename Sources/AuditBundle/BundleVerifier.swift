import Crypto
import Events
import LedgerStore
import Projections
import SystemIO

/// What a verified bundle proved.
public struct BundleVerification: Sendable {
    public var manifest: BundleManifest
    /// The bundle's checkpoint, its signature verified by a key given.
    public var checkpoint: Checkpoint
    /// The same, as signed: the note's exact bytes.
    public var signed: SignedCheckpoint
    /// The earlier checkpoints' notes, each consistent with this one.
    public var earlierNotes: [SignedCheckpoint]
    /// The earlier checkpoints in the bundle, each consistent with this one; `trusted` when a
    /// key given signed it.
    public var earlierCheckpoints: [(size: Int, trusted: Bool)]
    /// The sizes of the checkpoints the auditor kept, each shown consistent with the bundle's.
    public var knownCheckpoints: [Int]
    /// Whether the read models were rebuilt from the events and matched the snapshot.
    public var replayed: Bool
    /// For a bundle that starts after position 1: the root of the tree of the events before
    /// it, which a ledger it extends must have (from the first event's inclusion proof).
    public var prefixRoot: TreeHash?
}

/// One verified event, as import receives it: its stored bytes and where it goes.
public struct VerifiedEvent {
    public var header: StoredEnvelopeHeader
    public var line: UnsafeRawBufferPointer
    public var leafHash: TreeHash
}

/// Verifies an audit bundle offline, trusting only the verifier keys given (never a key in
/// the bundle), in one streaming pass: gzip inflated on a second thread, tar read strictly,
/// every member checked against the manifest, every event's leaf and the root recomputed (or
/// each event's inclusion proof, for a partial range), consistency with every checkpoint the
/// auditor kept, and with `replay`, the read models rebuilt from the events and compared with
/// the snapshot.
///
/// The first failure is named precisely (member, line, position) in a ``BundleError``.
///
/// ```swift
/// let verified = try BundleVerifier(keys: [key]).verify(path: "audit.tar.gz")
/// ```
public struct BundleVerifier {
    public var keys: [NoteVerifierKey]
    /// Checkpoints the auditor kept from earlier: the bundle must extend each.
    public var known: [SignedCheckpoint] = []
    /// Projections to rebuild and compare with the snapshot (empty: no replay).
    public var replay: [any Projection.Type] = []
    /// Whether a bundle of no events counts as verified.
    public var allowEmpty = false
    public var limits = BundleLimits.default

    public init(keys: [NoteVerifierKey]) {
        self.keys = keys
    }

    /// Verifies the bundle at `path`; `onEvent` sees each event once it passed the per-event
    /// checks (import writes them; the whole transaction is dropped if a later check fails).
    ///
    /// - Throws: ``BundleError``: `.verificationFailed` naming the first problem, `.io` when
    ///   the file cannot be read.
    public func verify(path: String, onEvent: ((VerifiedEvent) throws -> Void)? = nil,
                       progress: @escaping (Int) -> Void = { _ in }) throws -> BundleVerification {
        guard !keys.isEmpty else { throw BundleError(.invalidArgument, "a bundle is verified with a verifier key (--key)") }
        for kept in known { try kept.verify(trusting: keys) }
        for kept in known where known.contains(where: { $0.checkpoint.size == kept.checkpoint.size && $0.checkpoint.root != kept.checkpoint.root }) {
            throw BundleError(.verificationFailed, "the kept checkpoints of size \(kept.checkpoint.size) sign different roots: the log forked")
        }
        var checks = BundleChecks(verifier: self, onEvent: onEvent, progress: progress)
        let limits = self.limits
        // The second thread inflates, reads the tar and hashes each member; this one checks
        // what the members say. Both are busy: a member's SHA-256 costs as much as its leaves'.
        let items = Handoff<TarItem>(chunkSize: 1, chunkWeight: 1, maximumQueuedWeight: 16, inlineFallback: false) { emit in
            try withoutActuallyEscaping(emit) { emit in
                var forwarder = TarItemForwarder(emit: emit)
                var tar = TarReader(limits: limits)
                var failure: (any Error)?
                try GzipReader.inflate(path: path, limits: limits) { chunk in
                    do {
                        try chunk.withUnsafeBytes { try tar.feed($0, to: &forwarder) }
                    } catch {
                        failure = error
                        return false
                    }
                    return !forwarder.stopped
                }
                if let failure { throw failure }
                if !forwarder.stopped { try tar.finish() }
            }
        }
        items.start()
        defer { items.stop() }
        do {
            while let item = try items.next() {
                switch item {
                case .begin(let name, let size): try checks.beginMember(name: name, size: size)
                case .data(let bytes): try bytes.withUnsafeBytes { try checks.memberData($0) }
                case .end(let digest): try checks.endMember(sha256: digest)
                }
            }
            return try checks.finish()
        } catch let error as BundleError where error.code == .verificationFailed && error.message.hasPrefix(BundleChecks.rootMismatch) {
            // The root is wrong but every line looked right: find the first line that is not
            // exactly what the ledger would have stored, for a precise message.
            throw try EventsDiagnosis.firstBadLine(path: path, limits: limits) ?? error
        } catch let error as SystemIOError {
            throw BundleError(.io, error.message)
        }
    }
}

/// The second look at a bundle whose events do not hash to the signed root although every
/// line has an envelope's layout: the first line that is not canonical JSON (a re-serialized
/// event) is named; if all are, some event's content was changed.
enum EventsDiagnosis {
    static func firstBadLine(path: String, limits: BundleLimits) throws -> BundleError? {
        var finder = Finder()
        var tar = TarReader(limits: limits)
        try GzipReader.inflate(path: path, limits: limits) { chunk in
            do {
                try chunk.withUnsafeBytes { try tar.feed($0, to: &finder) }
            } catch {
                return false
            }
            return finder.found == nil
        }
        return finder.found
    }

    private struct Finder: TarMemberHandler {
        var found: BundleError?
        private var inEvents = false
        private var lines = LineSplitter(member: BundleMember.events)

        mutating func beginMember(name: String, size: Int) throws { inEvents = name == BundleMember.events }

        mutating func memberData(_ bytes: UnsafeRawBufferPointer) throws {
            guard inEvents, found == nil else { return }
            var found: BundleError?
            try lines.feed(bytes) { line, number in
                guard found == nil, let canonical = try? CanonicalJSON.canonicalize(line), !canonical.elementsEqual(line) else {
                    if found == nil, (try? CanonicalJSON.canonicalize(line)) == nil { found = EventChecks.diagnose(line, number: number) }
                    return
                }
                found = EventChecks.diagnose(line, number: number)
            }
            self.found = found
        }

        mutating func endMember() throws { inEvents = false }
    }
}

/// What the reading thread hands over: members as the tar gives them, each with its SHA-256.
enum TarItem: Sendable {
    case begin(name: String, size: Int)
    case data([UInt8])
    /// The member's SHA-256, lowercase hex.
    case end(sha256: String)
}

/// Hashes each member as it passes and hands its pieces on.
private struct TarItemForwarder: TarMemberHandler {
    let emit: (TarItem) -> Bool
    var hasher = SHA256()
    var stopped = false

    mutating func beginMember(name: String, size: Int) throws {
        hasher = SHA256()
        if !emit(.begin(name: name, size: size)) { stopped = true }
    }

    mutating func memberData(_ bytes: UnsafeRawBufferPointer) throws {
        hasher.update(bufferPointer: bytes)
        if !stopped, !emit(.data(Array(bytes))) { stopped = true }
    }

    mutating func endMember() throws {
        if !stopped, !emit(.end(sha256: hasher.finalize().lowercaseHex)) { stopped = true }
    }
}
