import Events
import LedgerStore

/// What an import did.
public struct ImportSummary: Sendable, Equatable {
    public var origin: String
    /// Events written, and events the ledger held already (the same ones).
    public var imported: Int
    public var alreadyPresent: Int
    public var treeHead: TreeHead
    /// Whether the ledger was created by the import.
    public var created: Bool
}

/// Restores a verified bundle into a new ledger, or extends a ledger whose events are a
/// prefix of the bundle's, so that positions, ids, recorded times and hashes are the ones the
/// bundle's ledger had: `remedy verify` passes, and exporting again gives the same bundle.
///
/// Anything else is refused before a byte is written: the bundle is verified first, against
/// the ledger opened read-only (its origin, its events where they overlap, and for a bundle
/// that starts later, its root where the bundle starts); only then is it written, verified
/// again as it streams into one transaction, so a bundle changed in between writes nothing
/// (a ledger the import created stays, empty, in that rare case). The transaction holds the
/// write lock while the bundle is read a second time.
///
/// ```swift
/// let summary = try BundleImporter(verifier: BundleVerifier(keys: [key])).importBundle("audit.tar.gz", into: path)
/// ```
public struct BundleImporter {
    public var verifier: BundleVerifier

    public init(verifier: BundleVerifier) {
        self.verifier = verifier
    }

    /// Imports the bundle at `path` into the ledger at `location`.
    ///
    /// - Throws: ``BundleError`` (`.verificationFailed`, `.conflict` when the ledger is not a
    ///   prefix of the bundle), ``LedgerError``.
    public func importBundle(_ path: String, into location: LedgerPath, configuration: LedgerConfiguration = .default,
                             progress: @escaping (Int) -> Void = { _ in }) throws -> ImportSummary {
        let existing = Ledger.exists(location) ? try Ledger.open(location, mode: .readOnly, configuration: configuration) : nil
        return try importBundle(path, existing: existing, progress: progress) { origin in
            try Ledger.open(location, mode: .readWrite, create: .ifMissing(origin: origin), configuration: configuration)
        }
    }

    /// Imports the bundle at `path` into any store: `existing` is the ledger when there is one
    /// (read to check the bundle continues it), `open` opens it for writing, creating it with
    /// the bundle's origin when missing.
    ///
    /// - Throws: ``BundleError`` (`.verificationFailed`, `.conflict` when the ledger is not a
    ///   prefix of the bundle), ``LedgerError``.
    public func importBundle(_ path: String, existing reader: (any EventStore)?, progress: @escaping (Int) -> Void = { _ in },
                             open: (_ origin: String) throws -> any EventStore) throws -> ImportSummary {
        let existed = reader != nil
        let held = try reader?.treeHead().size ?? 0
        let verified = try verifier.verify(path: path, onEvent: { event in
            guard let reader, event.header.position <= held else { return }
            guard try reader.event(position: event.header.position).leafHash == event.leafHash.bytes else {
                throw BundleError(.conflict, "the ledger's event at position \(event.header.position) is not the bundle's: the ledger is not a prefix of the bundle")
            }
        }, progress: progress)
        let manifest = verified.manifest
        let (from, to) = (manifest.range.from, manifest.range.to)
        if let reader {
            let origin = try reader.origin()
            guard origin == manifest.origin else {
                throw BundleError(.conflict, "the ledger is of origin \(origin), the bundle of \(manifest.origin)")
            }
            guard held <= to else { throw BundleError(.conflict, "the ledger holds \(held) events, more than the bundle's \(to): it is not a prefix of the bundle") }
        }
        guard from <= held + 1 else {
            throw BundleError(.conflict, "the bundle starts at position \(from), but the ledger holds \(held) events: import the events before it first")
        }
        if from > 1, let reader {
            guard try reader.treeHead(size: from - 1).root == verified.prefixRoot else {
                throw BundleError(.conflict, "the ledger's first \(from - 1) events are not the ones the bundle's tree holds: it is not a prefix of the bundle")
            }
        }

        let ledger = try open(manifest.origin)
        let result = try ledger.write { writer -> BatchResult in
            var again = verifier
            again.replay = []
            let second = try again.verify(path: path, onEvent: { event in
                try writer.appendStored(StoredEnvelope(body: event.line, header: event.header, leafHash: event.leafHash))
            })
            // The file read twice must be the same bundle: otherwise this transaction is dropped.
            guard second.manifest == manifest, second.signed == verified.signed else {
                throw BundleError(.conflict, "\(path) changed while it was imported; nothing was written")
            }
            // Checkpoints of the tree the ledger now holds, signed by a key given.
            let head = writer.summary.treeHead.size
            for signed in second.earlierNotes + [second.signed] where signed.checkpoint.size <= head {
                try writer.storeCheckpoint(signed)
            }
            return writer.summary
        }
        return ImportSummary(origin: manifest.origin, imported: result.appended, alreadyPresent: result.duplicates,
                             treeHead: result.treeHead, created: !existed)
    }
}
