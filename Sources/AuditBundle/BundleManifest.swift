import Events

/// An audit bundle's table of contents and claims (`manifest.json`): what `remedy
/// verify-bundle` checks, every one, against the members and the signed checkpoint.
///
/// ```json
/// {"checkpoints":[512],"events":{"by_type":{"EvalRunStarted":3,...},"count":1024},
///  "format":"remedy-audit-bundle","format_version":1,"members":[{"name":"README.txt","sha256":"…","size":2731},…],
///  "origin":"ci.example.com/acme/evals","policies":["494e28e8…"],"range":{"from":1,"to":1024},
///  "read_models":{"position":1024,"projections":[{"name":"guards","tables":["guards"],"version":3},…]},
///  "tree":{"root":"…","size":1024}}
/// ```
public struct BundleManifest: Codable, Equatable, Sendable {
    public static let formatName = "remedy-audit-bundle"
    public static let currentVersion = 1

    /// The events the bundle holds, by position.
    public struct Range: Codable, Equatable, Sendable {
        /// The first and last position of the events in the bundle.
        public var from: Int
        public var to: Int
    }

    /// The tree head the bundle's checkpoint signs.
    public struct Tree: Codable, Equatable, Sendable {
        /// The signed checkpoint's tree size and root (hex).
        public var size: Int
        public var root: String
    }

    /// How many events the bundle holds, in all and per type.
    public struct EventCounts: Codable, Equatable, Sendable {
        public var count: Int
        public var byType: [String: Int]

        enum CodingKeys: String, CodingKey { case count, byType = "by_type" }
    }

    /// A file of the bundle, with its size and SHA-256.
    public struct Member: Codable, Equatable, Sendable {
        public var name: String
        public var size: Int
        /// Lowercase hex.
        public var sha256: String
    }

    /// A read model exported with the bundle: its name, version and tables.
    public struct ProjectionInfo: Codable, Equatable, Sendable {
        public var name: String
        public var version: Int
        public var tables: [String]
    }

    /// The read models exported, and the position they reflect.
    public struct ReadModels: Codable, Equatable, Sendable {
        /// The position the snapshot reflects: the range's end.
        public var position: Int
        public var projections: [ProjectionInfo]
    }

    public var format: String
    public var formatVersion: Int
    public var origin: String
    public var range: Range
    public var tree: Tree
    public var events: EventCounts
    /// The sizes of the earlier stored checkpoints in `checkpoints.ndjson`.
    public var checkpoints: [Int]
    /// The SHA-256 of each adopted policy in the range, a member `policies/SHA.json` each.
    public var policies: [String]
    public var readModels: ReadModels
    /// Every member but the manifest, in the archive's order.
    public var members: [Member]

    enum CodingKeys: String, CodingKey {
        case format, formatVersion = "format_version", origin, range, tree, events, checkpoints, policies
        case readModels = "read_models", members
    }

    /// The canonical JSON text, one line.
    func encoded() throws -> [UInt8] {
        try LoopPayload.encode(self) + [0x0A]
    }
}

/// The names of a bundle's members, in the order they are written (sorted by name).
public enum BundleMember {
    public static let readme = "README.txt"
    /// The signed checkpoint the bundle is verified against, verbatim.
    public static let checkpoint = "checkpoint.txt"
    /// Earlier stored checkpoints: `{"consistency":[…],"note":"…","size":N}` a line.
    public static let checkpoints = "checkpoints.ndjson"
    /// The events' stored bytes, one a line.
    public static let events = "events.ndjson"
    /// For a partial range: `{"hashes":[…],"position":N}` a line, each event's inclusion proof.
    public static let inclusion = "inclusion.ndjson"
    public static let manifest = "manifest.json"
    public static let policiesFolder = "policies/"
    public static let readModelsFolder = "read-models/"

    static func policy(_ sha256: String) -> String { policiesFolder + sha256 + ".json" }
    static func readModel(_ table: String) -> String { readModelsFolder + table + ".ndjson" }
}

/// One line of `checkpoints.ndjson`.
struct EarlierCheckpoint: Codable, Equatable {
    var size: Int
    /// The signed note, verbatim.
    var note: String
    /// The consistency proof from this checkpoint to the bundle's (base64 hashes).
    var consistency: [String]
}

/// One line of `inclusion.ndjson`.
struct InclusionLine: Codable, Equatable {
    var position: Int
    /// The inclusion proof in the bundle's checkpoint tree (base64 hashes, the leaf's sibling first).
    var hashes: [String]
}
