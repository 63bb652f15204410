import Events
import LedgerStore
import SystemIO

/// The one door for events through which anything may be appended: `remedy append`, a batch.
///
/// Events of other types are the caller's to name and pass straight through; an event of the
/// loop's catalogue must be one the loop's rules allow at that point
/// (``LoopState/check(_:data:stream:)``), exactly as the command that records it would check
/// it: a hand-written `GateDecided` must be the decision the adopted policy gives for the
/// fix's facts, a `FixMerged` needs an auto-merge decision or an approval, and so on. The
/// state is loaded at the batch's first catalogue event (``LoopStateLoader``), each entity
/// when an event first touches it, and follows the batch.
extension LoopSteps {
    /// Appends a batch in one transaction, every catalogue event checked: all of it, or none.
    ///
    /// - Throws: ``LedgerError`` as ``Ledger/append(batch:onEach:)`` does, or ``LoopError``
    ///   naming the event's context (`line 12: ...`) and what the loop requires.
    @discardableResult
    public func append(batch next: () throws -> (ProposedEvent, context: String?)?,
                       onEach: (AppendResult) -> Void = { _ in }) throws -> BatchResult {
        try withoutActuallyEscaping(next) { next in try ledger.write { writer in
            var loader: LoopStateLoader?
            var sawAny = false
            var ahead = LookAhead(next, writer: writer)
            while let (event, context) = try ahead.next(onWindow: { window in
                // Loaded before the window's first catalogue event is appended: the read
                // models it reads are caught up to what is committed.
                if loader == nil, window.contains(where: { Self.catalogueType(of: $0) != nil }) {
                    loader = try LoopStateLoader(writer)
                }
                // A window of one run's outcomes reads their suite's cases in a few queries.
                try loader?.prepare(outcomes: window)
            }) {
                sawAny = true
                do {
                    let type = Self.catalogueType(of: event)
                    if let type, event.schemaVersion != type.schemaVersion {
                        throw LoopError(.invalidArgument, "\(type.rawValue) of schema version \(event.schemaVersion) is not one this remedy can check (it reads version \(type.schemaVersion)); append it with a remedy that reads it")
                    }
                    let result = try writer.append(event)
                    if let type, let loader, !result.isDuplicate {
                        try Self.admit(type, event, at: result.position, into: loader)
                    }
                    onEach(result)
                } catch let error as LedgerError where [.invalidEvent, .wrongExpectedVersion, .idConflict].contains(error.code) {
                    // About the event: say which. (A full disk or a busy ledger is not.)
                    throw context.map { LedgerError(error.code, "\($0): \(error.message)", eventError: error.eventError) } ?? error
                } catch let error as LoopError {
                    throw context.map { LoopError(error.code, "\($0): \(error.message)") } ?? error
                }
            }
            guard sawAny else { throw LedgerError(EventError(.emptyBatch, "the batch is empty: no events to append")) }
            return writer.summary
        } }
    }

    /// Appends one event, checked as a batch's are.
    ///
    /// - Throws: as ``append(batch:onEach:)``.
    @discardableResult
    public func append(_ event: ProposedEvent) throws -> AppendResult {
        var result: AppendResult?
        var delivered = false
        try append(batch: {
            defer { delivered = true }
            return delivered ? nil : (event, nil)
        }, onEach: { result = $0 })
        return result!
    }

    /// Appends an NDJSON batch (``LineReader/decodingBatch(_:)``), checked as a batch's are.
    ///
    /// - Throws: as ``append(batch:onEach:)``.
    @discardableResult
    public func appendNDJSON(from reader: LineReader, onEach: (AppendResult) -> Void = { _ in }) throws -> BatchResult {
        try reader.decodingBatch { next in try append(batch: next, onEach: onEach) }
    }

    /// The loop's type of an event of its catalogue, nil for the team's own types. An
    /// outcome's summary says what it is without matching its type's name.
    private static func catalogueType(of event: ProposedEvent) -> LoopEventType? {
        event.outcome != nil ? .caseOutcomeRecorded : LoopEventType(rawValue: event.type.rawValue)
    }

    /// Checks an event (appended at `position`) against the state before it, then folds it in.
    private static func admit(_ type: LoopEventType, _ event: ProposedEvent, at position: Int, into loader: LoopStateLoader) throws {
        let stream = event.stream.rawValue
        do {
            if type == .caseOutcomeRecorded {
                // Nearly every event: the run is open (so at hand) unless the rules refuse it.
                if loader.state.runs.index(forKey: stream) == nil { try loader.run(stream) }
                try loader.state.admit(outcome: try event.outcome ?? CaseOutcomeRecorded.summary(from: event.data), stream: stream)
                return
            }
            let decoded = try LoopEvent(type, data: event.data)
            // An item's loop stream is read before this event, which it already holds.
            switch decoded {
            case .loopStepStarted(let started): try loader.loopItem(started.item, before: position)
            case .loopStepEnded(let ended): try loader.loopItem(ended.item, before: position)
            default: break
            }
            try loader.prepare(for: decoded, stream: stream)
            try loader.state.check(decoded, stream: stream)
            loader.state.apply(decoded, stream: stream)
        } catch let error as LedgerError {
            throw error
        } catch let error as LoopError {
            // Whatever the rule, through this door it is the loop refusing the event (exit 8).
            throw LoopError(.invalidState, "\(type.rawValue) on \(stream) refused: \(error.message)")
        } catch {
            throw LoopError(.invalidArgument, "\(type.rawValue) on \(stream) does not read as the catalogue's: \(DecodingErrorText.describe(error))")
        }
    }
}

/// A batch read a window ahead, so the store can look up the window's streams and ids in bulk
/// (``EventStoreWriter/prefetch(_:)``) before each is appended. An error reading an event is
/// raised when the batch reaches it, after the events before it, as without the window.
private struct LookAhead {
    private let source: () throws -> (ProposedEvent, context: String?)?
    private let writer: any EventStoreWriter
    private var window: [(ProposedEvent, context: String?)] = []
    private var index = 0
    private var pendingError: (any Error)?
    private var exhausted = false

    /// Events read ahead at a time.
    static let size = 256

    init(_ source: @escaping () throws -> (ProposedEvent, context: String?)?, writer: any EventStoreWriter) {
        self.source = source
        self.writer = writer
    }

    /// The next event; when a new window is read, `onWindow` sees its events first.
    mutating func next(onWindow: ([ProposedEvent]) throws -> Void) throws -> (ProposedEvent, context: String?)? {
        if index == window.count {
            if let pendingError { throw pendingError }
            if exhausted { return nil }
            window.removeAll(keepingCapacity: true)
            index = 0
            while window.count < Self.size {
                do {
                    guard let item = try source() else { exhausted = true; break }
                    window.append(item)
                } catch {
                    pendingError = error
                    break
                }
            }
            if window.isEmpty {
                if let pendingError { throw pendingError }
                return nil
            }
            let events = window.map(\.0)
            try writer.prefetch(events)
            try onWindow(events)
        }
        defer { index += 1 }
        return window[index]
    }
}
