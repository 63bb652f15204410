import Crypto
import Events

/// The stream names of the loop's entities (see `Events/Catalogue/README.md`).
public enum LoopStreams {
    /// `run-<suite>/<run>`: a run's start, its case outcomes and its completion.
    public static func run(suite: String, run: String) throws -> StreamName {
        try named("run-\(suite)/\(run)", what: "suite '\(suite)' and run '\(run)'")
    }

    /// The id a run is recorded under: `run`, or for a CI re-run (attempt 2 and later of the
    /// same pipeline run) `run/attempt-N`, so a re-run is a run of its own, not a conflict.
    ///
    /// ```swift
    /// LoopStreams.runID("81", attempt: 2)   // "81/attempt-2"
    /// ```
    public static func runID(_ run: String, attempt: Int?) -> String {
        guard let attempt, attempt > 1 else { return run }
        return "\(run)/attempt-\(attempt)"
    }

    /// `failure-<n>`.
    public static func failure(_ number: Int) -> StreamName {
        try! StreamName("failure-\(number)")
    }

    /// `fix-<id>`, for the id given to `remedy propose`.
    public static func fix(_ id: String) throws -> StreamName {
        try named(id.hasPrefix("fix-") ? id : "fix-\(id)", what: "fix id '\(id)'")
    }

    /// `case-<16 hex digits>`: case keys may hold spaces, so their streams are named by hash.
    public static func `case`(suite: String, key: String) -> StreamName {
        let digest = SHA256.hash(data: Array("\(suite)\n\(key)".utf8))
        return try! StreamName("case-\(digest.prefix(8).lowercaseHex)")
    }

    /// `dataset-<suite>`.
    public static func dataset(suite: String) throws -> StreamName {
        try named("dataset-\(suite)", what: "suite '\(suite)'")
    }

    /// `loop-<item>`: what `remedy loop run` did with a failure or a fix. Item ids are
    /// failure ids and fix ids, which already name streams.
    public static func loopItem(_ item: String) throws -> StreamName {
        try named("loop-\(item)", what: "item '\(item)'")
    }

    /// `policy-autonomy`.
    public static let policy = try! StreamName("policy-autonomy")

    /// `skills-map`: every adopted skill map, the last one in force.
    public static let skillMap = try! StreamName("skills-map")

    private static func named(_ name: String, what: String) throws -> StreamName {
        do {
            return try StreamName(name)
        } catch let error as EventError {
            throw LoopError(.invalidArgument, "\(what) cannot name a stream: \(error.message)")
        }
    }
}
