#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Events
import Ingest
import LedgerStore
import SystemIO

/// What `remedy ingest` is asked to record.
public struct IngestRequest: Sendable {
    public var files: [String]
    public var suite: String
    public var run: String
    public var commit: String?
    public var format: ReportFormat?
    /// By default test for JUnit and eval for eval-harness logs.
    public var kind: RunKind?
    /// The fix this run verifies: its outcomes become the fix's verification, not detections.
    public var verifies: String?
    public var skills: SkillMap?
    public var actor: String
    /// Whether the tested tree had uncommitted changes.
    public var dirty: Bool?
    /// What started the run: push, schedule, manual, a fix's verification...
    public var trigger: String?
    public var datasetVersion: String?
    /// The harness that wrote the reports; by default the one the format names.
    public var producer: String?
    public var producerVersion: String?
    /// Cases an ingest keeps in memory before it keeps them on disk (``RunCaseTallies``): a
    /// test sets it low to take the disk path with a small report.
    package var caseMemoryLimit = RunCaseTallies.defaultMemoryLimit

    public init(files: [String], suite: String, run: String, actor: String = "ci") {
        self.files = files
        self.suite = suite
        self.run = run
        self.actor = actor
    }

}

/// What an ingest recorded (or, for a repeated ingest, had recorded the first time).
public struct IngestSummary: Sendable, Equatable {
    public var suite: String
    public var run: String
    /// False when this run was recorded before from the same reports: nothing new was written.
    public var recorded: Bool
    public var counts: ReportCounts
    public var cases: Int
    /// The failures detected with their cases, in case-key order.
    public var newFailures = NewFailureList()
    public var stillFailing = 0
    public var fixed: [String] = []
    public var regressions: [String] = []
    public var flaky = 0
    public var declaredMismatches: [String] = []
    public var verification: FixVerified?
}

/// Records a whole run from its report files, atomically and idempotently, and detects what
/// changed against the ledger's state.
///
/// Everything happens in one write transaction: the run's start, one event per case attempt
/// (written as the report streams by, so memory does not grow with the report), the
/// detections, and the run's completion. A report that turns out malformed halfway rolls it
/// all back. Ingesting the same run from the same reports again records nothing; from
/// different reports it is refused.
public enum RunIngester {
    /// Ingests `request` into `ledger`.
    ///
    /// - Throws: ``IngestError`` (the file and line), ``LoopError`` (`.conflict`,
    ///   `.notFound`, `.invalidArgument`), or ``LedgerError``; nothing is written then.
    public static func ingest(_ request: IngestRequest, into ledger: any EventStore) throws -> IngestSummary {
        guard !request.files.isEmpty else { throw LoopError(.invalidArgument, "no report files to ingest") }
        let reports = ReportHashes(files: request.files)
        return try ledger.write { writer in try ingest(request, reports: reports, in: writer) }
    }

    /// Records a run inside a write transaction that may record more (`remedy loop run`
    /// records a fix's verification run, its gate decision and the step's end together).
    ///
    /// - Throws: as ``ingest(_:into:)``.
    public static func ingest(_ request: IngestRequest, in writer: any EventStoreWriter) throws -> IngestSummary {
        guard !request.files.isEmpty else { throw LoopError(.invalidArgument, "no report files to ingest") }
        return try ingest(request, reports: ReportHashes(files: request.files), in: writer)
    }

    private static func ingest(_ request: IngestRequest, reports: ReportHashes, in writer: any EventStoreWriter) throws -> IngestSummary {
        let runStream = try LoopStreams.run(suite: request.suite, run: request.run)
        if try writer.version(of: runStream) > 0 {
            return try previousSummary(of: runStream, reports: try reports.value(), request: request, writer: writer)
        }
        let loader = try LoopStateLoader(writer)
        if let fix = request.verifies {
            try loader.fix(fix)
            let state = loader.state
            guard let current = state.fixes[fix] else {
                throw LoopError(.notFound, "no fix '\(fix)' to verify: propose it first (remedy propose ... --fix \(fix))")
            }
            guard current.merged == nil else {
                throw LoopError(.invalidState, "fix \(fix) merged already (commit \(current.merged!.commit)); verify a new fix instead")
            }
            if let suite = state.suite(of: current), suite != request.suite {
                throw LoopError(.invalidArgument, "fix \(fix) addresses failures in suite \(suite); verify it with --suite \(suite), not \(request.suite)")
            }
        }
        var session = try RunRecording(request: request, stream: runStream, loader: loader, writer: writer)
        try session.record(reports: reports)
        return try session.complete()
    }

    /// The summary of a run recorded before, or a conflict if its reports differ.
    private static func previousSummary(
        of stream: StreamName, reports: [EvalRunStarted.ReportFile], request: IngestRequest, writer: any EventStoreWriter
    ) throws -> IngestSummary {
        do {
            return try previousSummaryUnchecked(of: stream, reports: reports, request: request, writer: writer)
        } catch let error as DecodingError {
            throw LoopError(.invalidState, "run \(request.run) of suite \(request.suite) is recorded with a damaged event (\(error)); run `remedy verify`")
        }
    }

    private static func previousSummaryUnchecked(
        of stream: StreamName, reports: [EvalRunStarted.ReportFile], request: IngestRequest, writer: any EventStoreWriter
    ) throws -> IngestSummary {
        var query = EventQuery()
        query.streams = [stream]
        var started: EvalRunStarted?
        var completed: EvalRunCompleted?
        for event in try writer.events(query) {
            let envelope = try EventEnvelope(decoding: event.body)
            if envelope.type.rawValue == LoopEventType.evalRunStarted.rawValue {
                started = try LoopPayload.decode(EvalRunStarted.self, from: envelope.data)
            } else if envelope.type.rawValue == LoopEventType.evalRunCompleted.rawValue {
                completed = try LoopPayload.decode(EvalRunCompleted.self, from: envelope.data)
            }
        }
        guard let started, let completed else {
            throw LoopError(.invalidState, "run \(request.run) of suite \(request.suite) is recorded but incomplete; run `remedy verify`")
        }
        guard started.reports.map(\.sha256) == reports.map(\.sha256), started.verifies == request.verifies,
              request.commit == nil || started.commit == request.commit, request.kind == nil || started.kind == request.kind else {
            throw LoopError(.conflict, "run \(request.run) of suite \(request.suite) was already recorded from different reports or options (sha256 \(started.reports.map { String($0.sha256.prefix(12)) }.joined(separator: ", ")), commit \(started.commit ?? "-"), kind \(started.kind)\(started.verifies.map { ", verifying \($0)" } ?? "")); use a new run id")
        }
        var summary = IngestSummary(
            suite: request.suite, run: request.run, recorded: false,
            counts: ReportCounts(tests: completed.tests, failures: completed.failures, errors: completed.errors,
                                 skipped: completed.skipped, duplicates: completed.duplicates),
            cases: completed.cases)
        summary.stillFailing = completed.stillFailing
        summary.flaky = completed.flaky
        summary.declaredMismatches = completed.declaredMismatch.map { [$0] } ?? []
        // What the run detected and resolved, from the loop's working set (failures by the run
        // that detected or resolved them), in the order the failures were numbered.
        try writer.catchUp([LoopWorkingSet.self])
        func failures(_ column: String) throws -> [LoopFailureRow] {
            try writer.rows(LoopFailureRow.self, matching: [("suite", .text(request.suite)), (column, .text(request.run))])
                .sorted { LoopRules.number($0.failure) < LoopRules.number($1.failure) }
        }
        for row in try failures("detected_run") {
            let failure = try LoopWorkingSet.value(LoopState.Failure.self, row.state)
            try summary.newFailures.append(failure: row.failure, caseKey: row.caseKey)
            if failure.detected.kind == .regression { summary.regressions.append(row.failure) }
        }
        summary.fixed = try failures("resolved_run").map(\.failure)
        return summary
    }

    /// The SHA-256 of each report file, computed on a second thread from the moment the ingest
    /// is asked for: it decides whether the run is new and goes into the run's first event,
    /// yet hashing a 50 MB log first (50 ms) held everything else back.
    final class ReportHashes {
        private let hashing: Handoff<[EvalRunStarted.ReportFile]>
        private var hashed: [EvalRunStarted.ReportFile]?

        init(files: [String]) {
            hashing = Handoff(chunkSize: 1) { emit in
                _ = emit(try files.map { EvalRunStarted.ReportFile(file: $0, sha256: try RunIngester.sha256(ofFile: $0)) })
            }
            hashing.start()
        }

        deinit { hashing.stop() }

        /// The files with their hashes, once hashed.
        ///
        /// - Throws: ``IngestError`` (`.unreadable`) naming a file that cannot be read.
        func value() throws -> [EvalRunStarted.ReportFile] {
            if let hashed { return hashed }
            guard let files = try hashing.next() else { throw IngestError(.unreadable, "the report files could not be hashed") }
            hashed = files
            return files
        }
    }

    /// SHA-256 of bytes, as lowercase hex.
    static func sha256(of bytes: [UInt8]) throws -> String {
        SHA256.hash(data: bytes).lowercaseHex
    }

    /// SHA-256 of a file, read in chunks.
    static func sha256(ofFile path: String) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw IngestError(.unreadable, SystemIOError.reading(path, errno).message) }
        defer { close(descriptor) }
        var hasher = SHA256()
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        while true {
            let count = chunk.withUnsafeMutableBytes { readSome(descriptor, $0) }
            if count < 0 { throw IngestError(.unreadable, SystemIOError.reading(path, errno).message) }
            if count == 0 { break }
            chunk.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return hasher.finalize().lowercaseHex
    }
}
