import SystemIO

/// The failures a run detected, in the order they were numbered (case-key order), each with
/// its case.
///
/// Why not an array: a report in which every case fails for the first time (a linter's first
/// SARIF run over a large tree) detects as many failures as it has cases, and an ingest's
/// memory must not grow with the report. The pairs are kept in a ``SpooledStrings``, in a
/// temporary file past a megabyte, and read back one at a time.
///
/// ```swift
/// try summary.newFailures.forEach { failure, caseKey in print(failure, caseKey) }
/// try summary.newFailures.prefix(20)   // the first 20, for a terminal
/// ```
public struct NewFailureList: @unchecked Sendable, Equatable, CustomStringConvertible {
    /// One detected failure.
    public struct Item: Equatable, Sendable {
        public var failure: String
        public var caseKey: String
    }

    /// Failure id, case key, failure id, case key, ...; appended only while the run is recorded.
    private let storage = SpooledStrings()

    public init() {}

    /// The failures detected.
    public var count: Int { storage.count / 2 }
    public var isEmpty: Bool { storage.count == 0 }

    /// Adds a failure after the others (only while the list is built: copies share what they hold).
    mutating func append(failure: String, caseKey: String) throws {
        try storage.append(failure)
        try storage.append(caseKey)
    }

    /// Calls `body` with each failure and its case, in the order they were numbered.
    ///
    /// - Throws: what `body` throws, or ``SystemIOError`` when the temporary file cannot be read.
    public func forEach(_ body: (Item) throws -> Void) throws {
        var reader = storage.makeReader()
        while let failure = try reader.next(), let caseKey = try reader.next() {
            try body(Item(failure: failure, caseKey: caseKey))
        }
    }

    /// The first `count` failures.
    ///
    /// - Throws: ``SystemIOError`` when the temporary file cannot be read.
    public func prefix(_ count: Int) throws -> [Item] {
        var items: [Item] = []
        var reader = storage.makeReader()
        while items.count < count, let failure = try reader.next(), let caseKey = try reader.next() {
            items.append(Item(failure: failure, caseKey: caseKey))
        }
        return items
    }

    /// Every failure id, in memory: for short lists (a story, a test).
    ///
    /// - Throws: ``SystemIOError`` when the temporary file cannot be read.
    public func ids() throws -> [String] {
        try prefix(count).map(\.failure)
    }

    public var description: String { (try? ids())?.description ?? "\(count) failures (unreadable)" }

    public static func == (lhs: NewFailureList, rhs: NewFailureList) -> Bool {
        lhs.count == rhs.count && (try? lhs.prefix(lhs.count)) == (try? rhs.prefix(rhs.count))
    }
}
