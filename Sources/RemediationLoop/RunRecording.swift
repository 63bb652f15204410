#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Events
import Ingest
import LedgerStore
import Projections
import SystemIO

/// One run being recorded inside an ingest's transaction: its events, then its detections.
struct RunRecording {
    private let request: IngestRequest
    private let stream: StreamName
    private let loader: LoopStateLoader
    private let writer: any EventStoreWriter
    private let metadata: EventMetadata

    /// What the run said of each case so far (in memory, then on disk for a large run).
    private var tallies: RunCaseTallies
    private var counts = ReportCounts()
    private var mismatches: [String] = []
    private var format: ReportFormat?

    init(request: IngestRequest, stream: StreamName, loader: LoopStateLoader, writer: any EventStoreWriter) throws {
        self.request = request
        self.stream = stream
        self.loader = loader
        self.writer = writer
        self.metadata = EventMetadata(actor: request.actor, correlationID: stream.rawValue)
        self.tallies = RunCaseTallies(memoryLimit: request.caseMemoryLimit)
    }

    /// The kind the report's content suggests (a SARIF run of a type checker is `type`).
    private var inferredKind: RunKind?
    /// Every report lists every finding in the tree (SARIF): absent cases have passed.
    private var coversWholeTree = true

    private var kind: RunKind {
        request.kind ?? inferredKind ?? (format ?? .junit).defaultKind
    }

    /// The longest failure message carried into a detection.
    static let detectionMessageLength = 512

    private mutating func start(reports: [EvalRunStarted.ReportFile]) throws {
        // The format and kind are known once the first file is read; peek at it now.
        let head = try Self.head(of: request.files[0])
        format = try request.format ?? ReportFormat.detect(head: head, name: request.files[0])
        inferredKind = format!.kind(head: head)
        var started = EvalRunStarted(suite: request.suite, runID: request.run, kind: kind, format: format!.rawValue, reports: reports)
        started.commit = request.commit
        started.verifies = request.verifies
        started.dirty = request.dirty
        started.trigger = request.trigger ?? (request.verifies != nil ? "verification" : nil)
        started.datasetVersion = request.datasetVersion ?? loader.state.datasets[request.suite]?.version
        started.producer = request.producer ?? (format == .promptfoo ? "promptfoo" : format == .inspect ? "inspect_ai" : nil)
        started.producerVersion = request.producerVersion
        try append(stream, .evalRunStarted, try LoopPayload.encode(started), expect: .noStream)
    }

    /// Records the run's start, then every case of every report file, parsing on a second
    /// thread while this one writes (see ``Handoff``); the files are hashed meanwhile, for
    /// the start.
    ///
    /// The parsing thread also keeps the tallies (each attempt's number is known there, so
    /// its payload is encoded there once) and hands them back when it is done: writing is
    /// the slower side, and a run of 70,000 cases spent a tenth of it tallying.
    mutating func record(reports: RunIngester.ReportHashes) throws {
        let files = request.files, format = request.format, memoryLimit = request.caseMemoryLimit, skills = request.skills
        let tallying = TallyHolder(tallies)
        let parsed = Handoff<ParsedItem>(chunkWeight: 1 << 17, maximumQueuedWeight: 1 << 20, weight: \.approximateBytes) { emit in
            for file in files {
                var stopped = false
                let facts = try ReportReader.read(path: file, format: format, scratch: { SpillingScratch(memoryLimit: memoryLimit) }) { outcome in
                    let skill = outcome.skill ?? skills?.skill(for: outcome.key)
                    let attempt = try Self.tally(outcome, skill: skill, in: &tallying.tallies)
                    let encoded = EncodedCaseOutcome(Self.payload(of: outcome, attempt: attempt, skill: skill))
                    // The writer gave up (an error of its own): stop reading at once.
                    if stopped || !emit(.outcome(file, outcome, encoded)) { stopped = true; throw HandoffStopped() }
                }
                if !emit(.facts(file, facts)) { return }
            }
        }
        parsed.start()
        defer { parsed.stop() }
        try start(reports: try reports.value())
        while let item = try parsed.next() {
            switch item {
            case .outcome(let file, let outcome, let encoded):
                do {
                    try writer.append(try ProposedEvent(stream: stream, outcome: encoded, metadata: metadata))
                } catch let error as EventError {
                    throw IngestError(.malformed, "\(file): case \(outcome.key.prefix(80)): \(error.message)")
                }
            case .facts(let file, let facts):
                counts.tests += facts.counts.tests
                counts.failures += facts.counts.failures
                counts.errors += facts.counts.errors
                counts.skipped += facts.counts.skipped
                counts.duplicates += facts.counts.duplicates
                if let mismatch = facts.declaredMismatch { mismatches.append("\(file): \(mismatch)") }
                coversWholeTree = coversWholeTree && facts.coversWholeTree
            }
        }
        // The parsing thread has ended (`next()` returned nil after joining it): the tallies
        // are this thread's again.
        tallies = tallying.tallies
    }

    /// The tallies while the parsing thread keeps them: only it touches them until the
    /// handoff has ended, and the writing thread takes them back after joining it.
    private final class TallyHolder: @unchecked Sendable {
        var tallies: RunCaseTallies
        init(_ tallies: RunCaseTallies) { self.tallies = tallies }
    }

    /// What the parsing thread hands over: case attempts, then each file's totals.
    enum ParsedItem: Sendable {
        case outcome(String, CaseOutcome, EncodedCaseOutcome)
        case facts(String, ReportFacts)

        /// What an item holds in memory, roughly: the queue between the threads is bounded
        /// in bytes (1 MiB), not items, as a SARIF result or a JUnit case with its output can
        /// take kilobytes.
        var approximateBytes: Int {
            guard case .outcome(_, let outcome, let encoded) = self else { return 256 }
            var bytes = 256 + encoded.bytes.count + outcome.key.utf8.count + (outcome.message?.utf8.count ?? 0) + (outcome.traceID?.utf8.count ?? 0)
            for evidence in [outcome.expected, outcome.actual, outcome.output] { bytes += evidence?.text.utf8.count ?? 0 }
            for (name, value) in outcome.properties { bytes += 64 + name.utf8.count + value.utf8.count }
            return bytes
        }
    }

    /// Thrown inside the parser when the writer stopped taking items.
    struct HandoffStopped: Error {}

    /// Records a case attempt the reports did not list (see ``recordAbsentAsPassed()``).
    private mutating func record(_ outcome: CaseOutcome) throws {
        let skill = outcome.skill ?? request.skills?.skill(for: outcome.key)
        let attempt = try Self.tally(outcome, skill: skill, in: &tallies)
        try writer.append(try ProposedEvent(stream: stream, outcome: Self.payload(of: outcome, attempt: attempt, skill: skill), metadata: metadata))
    }

    /// Counts a case attempt in `tallies`; returns its number (1 for the case's first).
    private static func tally(_ outcome: CaseOutcome, skill: String?, in tallies: inout RunCaseTallies) throws -> Int {
        var attempt = 0
        try tallies.update(outcome.key) { entry in
            entry.tally.attempts += 1
            attempt = Int(entry.tally.attempts)
            switch outcome.status {
            case .skip: break
            case .pass:
                entry.tally.finalStatus = .pass
                entry.tally.sawPass = true
            case .fail, .error:
                entry.tally.finalStatus = outcome.status
                entry.tally.sawFailure = true
            }
            guard entry.tally.sawFailure else { return }
            var note = entry.note ?? RunCaseTallies.FailureNote()
            if outcome.status.isFailure {
                if let message = outcome.message { note.message = String(message.prefix(Self.detectionMessageLength)) }
                if let trace = outcome.traceID { note.traceID = trace }
            }
            if let skill { note.skill = skill }
            entry.note = note
        }
        return attempt
    }

    /// The event a case attempt is recorded as.
    static func payload(of outcome: CaseOutcome, attempt: Int, skill: String?) -> CaseOutcomeRecorded {
        var payload = CaseOutcomeRecorded(case: outcome.key, attempt: attempt, status: outcome.status)
        payload.score = outcome.score
        payload.threshold = outcome.threshold
        payload.durationMS = outcome.durationMilliseconds
        payload.message = outcome.message
        payload.traceID = outcome.traceID
        payload.skill = skill
        payload.properties = outcome.properties.isEmpty ? nil : outcome.properties
        payload.expected = outcome.expected?.text
        payload.expectedSHA256 = outcome.expected?.sha256
        payload.actual = outcome.actual?.text
        payload.actualSHA256 = outcome.actual?.sha256
        payload.output = outcome.output?.text
        payload.outputSHA256 = outcome.output?.sha256
        return payload
    }

    /// Records a pass for each case of the suite known before (failing now, a guard, in its
    /// golden set or last complete run) and absent from reports that list every finding in the
    /// tree (SARIF): a violation no longer reported was fixed, a guard holds.
    ///
    /// The known cases are checked as they are read (the last complete run's outcomes stream
    /// from its events), so only the absent ones are held, then recorded in key order.
    private mutating func recordAbsentAsPassed() throws {
        guard coversWholeTree, !request.files.isEmpty else { return }
        let suite = request.suite
        try loader.guards(ofSuite: suite)
        var absent = Set<String>()
        func check(_ key: String) throws {
            if try !tallies.contains(key) { absent.insert(key) }
        }
        try loader.forEachOpenFailure(ofSuite: suite) { key, _ in try check(key) }
        for key in loader.state.activeGuards(suite: suite) { try check(key) }
        switch loader.state.goldenSet(suite: suite) {
        case .declared(let cases):
            for key in cases { try check(key) }
        case .lastCompleteRun(let stream):
            try LoopState.forEachOutcome(ofRun: stream, { try writer.forEachEvent($0, $1) }) { outcome in
                if outcome.status != .skip { try check(outcome.case) }
            }
        case .none:
            break
        }
        for key in absent.sorted(by: RunCaseTallies.precedes) {
            var outcome = CaseOutcome(key: key, status: .pass)
            outcome.message = "absent from a report that lists every finding in the tree: no longer found"
            try record(outcome)
        }
    }

    /// Detects what changed (or, for a verification run, what the fix flipped), and completes the run.
    mutating func complete() throws -> IngestSummary {
        try recordAbsentAsPassed()
        try tallies.seal()
        var summary = IngestSummary(suite: request.suite, run: request.run, recorded: true, counts: counts, cases: tallies.count)
        summary.flaky = tallies.flaky
        summary.declaredMismatches = mismatches
        if let fix = request.verifies {
            summary.verification = try verify(fix: fix)
        } else {
            try detect(into: &summary)
        }
        var completed = EvalRunCompleted(suite: request.suite, runID: request.run)
        completed.tests = counts.tests
        completed.failures = counts.failures
        completed.errors = counts.errors
        completed.skipped = counts.skipped
        completed.duplicates = counts.duplicates
        completed.cases = tallies.count
        completed.newFailures = summary.newFailures.count
        completed.stillFailing = summary.stillFailing
        completed.fixed = summary.fixed.count
        completed.regressions = summary.regressions.count
        completed.flaky = summary.flaky
        completed.declaredMismatch = mismatches.isEmpty ? nil : mismatches.joined(separator: "; ")
        try append(stream, .evalRunCompleted, try LoopPayload.encode(completed))
        return summary
    }

    /// New failures, cases still failing, fixed cases and regressions, in case-key order.
    private func detect(into summary: inout IngestSummary) throws {
        // What each case is checked against: the suite's open failures and guards. A failure
        // (with its fixes) is read for a case that now passes, a history for a new failure, and
        // neither is kept: a run of 150,000 cases would otherwise hold 150,000 histories.
        try loader.guards(ofSuite: request.suite)
        // The open failures of the run's cases, in the order the cases come (both by bytes of
        // their keys), spooled: a suite may have as many open as the run has cases.
        let openOfRun = SpooledStrings()
        try loader.forEachOpenFailure(ofSuite: request.suite) { key, failure in
            guard try tallies.contains(key) else { return }
            try openOfRun.append(key)
            try openOfRun.append(failure)
        }
        var openReader = openOfRun.makeReader()
        var nextOpen = try openReader.next()
        var nextFailure = loader.state.failureCount + 1
        try tallies.forEachInKeyOrder { key, entry in
            // The open failure of this case, if any: the spooled keys before it are passed by.
            var open: String?
            while let candidate = nextOpen, RowValue.textPrecedes(candidate, key) || candidate.utf8.elementsEqual(key.utf8) {
                let failure = try openReader.next()
                if !RowValue.textPrecedes(candidate, key) { open = failure }
                nextOpen = try openReader.next()
            }
            guard let status = entry.tally.finalStatus else { return }
            let id = SuiteCase(suite: request.suite, key: key)
            if status == .pass {
                guard let failure = open else { return }
                try loader.failure(failure)
                let fix = loader.state.fixInForce(for: failure)
                let resolved = FailureResolved(failure: failure, suite: request.suite, case: key, runID: request.run,
                                               fix: fix, becameGuard: fix != nil)
                try append(LoopStreams.failure(Int(failure.dropFirst("failure-".count)) ?? 0), .failureResolved, try LoopPayload.encode(resolved))
                summary.fixed.append(failure)
                return
            }
            if open != nil {
                summary.stillFailing += 1
                return
            }
            let failure = "failure-\(nextFailure)"
            let stream = LoopStreams.failure(nextFailure)
            nextFailure += 1
            let history = try loader.lastResults(of: id)
            let guarded = loader.state.guards[id].flatMap { $0.isActive ? $0 : nil }
            var detected = FailureDetected(failure: failure, kind: guarded != nil ? .regression : FailureKind(kind), suite: request.suite,
                                           case: key, runID: request.run, status: status,
                                           passedBefore: history?.everPassed ?? false)
            let note = entry.note
            detected.skill = note?.skill
            detected.message = note?.message
            detected.traceID = note?.traceID
            try writer.append(try ProposedEvent(stream: stream, failure: detected, metadata: metadata, expectedVersion: .noStream))
            try summary.newFailures.append(failure: failure, caseKey: key)
            if let guarded {
                let regression = RegressionDetected(failure: failure, suite: request.suite, case: key, runID: request.run,
                                                    guardFailure: guarded.failure, guardFix: guarded.fix,
                                                    lastPassingRun: history?.lastPassingRun)
                try append(stream, .regressionDetected, try LoopPayload.encode(regression))
                summary.regressions.append(failure)
            }
        }
    }

    /// The fix's verification (see ``LoopState/verification(fix:suite:runID:finalStatus:failed:)``).
    private func verify(fix: String) throws -> FixVerified {
        try loader.coverage(request.suite)
        var finalStatus: [String: CaseStatus] = [:], failed: Set<String> = []
        try tallies.forEachInKeyOrder { key, entry in
            if let status = entry.tally.finalStatus { finalStatus[key] = status }
            if entry.tally.sawFailure { failed.insert(key) }
        }
        try loader.cases(request.suite, finalStatus.keys)
        let verified = loader.state.verification(fix: fix, suite: request.suite, runID: request.run,
                                                 finalStatus: finalStatus, failed: failed)
        try append(try LoopStreams.fix(fix), .fixVerified, try LoopPayload.encode(verified))
        return verified
    }

    private func append(_ stream: StreamName, _ type: LoopEventType, _ data: [UInt8], expect: ExpectedVersion = .any) throws {
        try writer.append(try ProposedEvent(stream: stream, type: EventType(type), json: data,
                                            metadata: metadata, expectedVersion: expect, schemaVersion: type.schemaVersion))
    }

    private static func head(of path: String) throws -> [UInt8] {
        guard let file = fopen(path, "rb") else {
            throw IngestError(.unreadable, "cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = fread(&bytes, 1, bytes.count, file)
        return Array(bytes[0..<count])
    }
}
