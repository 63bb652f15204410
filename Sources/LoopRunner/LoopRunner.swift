#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Events
import Ingest
import LedgerStore
import ReadViews
import RemediationLoop
import SystemIO

/// `remedy loop run`: takes the queue and moves each item as far as it can go without a
/// person, calling the config's handler for each step and recording each step through the
/// loop's checked steps (``LoopSteps/takeStep(_:)``, ``LoopSteps/finishStep(_:answer:by:durationMS:)``).
///
/// Safe to run from cron or from every CI job: a step is leased in the ledger before its
/// handler runs, so two `loop run`s never hand one item to two handlers; a killed one's
/// lease lapses (or is taken over at once on the same machine) and the step runs again, while
/// a step whose end was recorded never runs again.
///
/// ```swift
/// let report = try LoopRunner.run(LoopRunner.Request(config: config, ledgerAddress: "ledger.db"), ledger: store)
/// ```
public enum LoopRunner {
    /// What to run.
    public struct Request {
        public var config: LoopConfig
        /// The ledger's address, as handlers get it in `REMEDY_LEDGER`.
        public var ledgerAddress: String
        /// Move at most this many items.
        public var maxItems: Int?
        /// Move only this item (a failure or fix id).
        public var item: String?
        /// Print what would run; record and run nothing.
        public var dryRun = false
        /// This process, as leases name it: `host:pid`.
        public var holder = LoopRunner.holder
        public var clock: () -> Timestamp = { Timestamp.now() }
        /// Told of each step as it starts and ends (remedy prints it on stderr).
        public var progress: (String) -> Void = { _ in }
        /// The skill map verification runs' cases are attributed by (``SkillMap/load(path:)``).
        public var skills: SkillMap?
        /// Variables handlers get besides this process's environment and the `REMEDY_*` ones.
        public var environment: [String: String] = [:]

        public init(config: LoopConfig, ledgerAddress: String) {
            self.config = config
            self.ledgerAddress = ledgerAddress
        }
    }

    /// One thing `loop run` did (or, in a dry run, would do).
    public struct Step: Sendable, Equatable {
        public var item: String
        /// A handler step, or `gate` (remedy's own).
        public var step: String
        public var attempt: Int?
        public var result: Outcome
        public var failure: HandlerFailure?
        public var detail: String
        public var durationMS: Int?
        public var retryAt: String?
    }

    /// How a step went.
    public enum Outcome: String, Sendable {
        /// The handler's answer is recorded.
        case done
        /// The handler failed; the step is tried again at its retry time.
        case retry
        /// The handler failed its last try, or declined: a person takes over.
        case escalated
        /// remedy took the step itself (the gate, a diagnosis rule).
        case decided
        /// A dry run: what would run.
        case wouldRun = "would-run"
        /// Another `loop run` took the step over while the handler ran: nothing recorded.
        case lostLease = "lost-lease"
    }

    /// What an item waits for once `loop run` could move it no further.
    public struct Waiting: Sendable, Equatable {
        public var item: String
        public var waitsFor: String
    }

    /// What a run did.
    public struct Report: Sendable {
        public var steps: [Step] = []
        public var waiting: [Waiting] = []
        /// Items moved at least one step.
        public var itemsMoved = 0
        public var dryRun = false
    }

    /// `host:pid` of this process.
    public static var holder: String {
        "\(hostName()):\(getpid())"
    }

    /// Moves the queue's items.
    ///
    /// - Throws: ``LoopError`` or ``LedgerError`` when the ledger cannot be read or written
    ///   (a handler's failure is recorded, not thrown).
    public static func run(_ request: Request, ledger: any EventStore) throws -> Report {
        var report = Report(dryRun: request.dryRun)
        let steps = LoopSteps(ledger: ledger)
        var seen: Set<String> = []
        // Passes over the queue until one moves nothing: a proposal adds a fix to move.
        while true {
            var items = try NextQueue.items(ReadModelView(ledger: ledger), now: request.clock())
                .filter { $0.kind != .quarantineExpired }.map(\.subject)
            if let only = request.item { items = items.filter { $0 == only } }
            var movedThisPass = false
            for item in items where !seen.contains(item) {
                if let max = request.maxItems, report.itemsMoved >= max { break }
                seen.insert(item)
                var subject = item, moved = false
                for _ in 0..<maxStepsPerItem {
                    guard let next = try advance(subject, request, steps, ledger, &report) else { break }
                    moved = true
                    guard !request.dryRun else { break }
                    subject = next
                    seen.insert(next)
                }
                if moved {
                    report.itemsMoved += 1
                    movedThisPass = true
                }
            }
            if !movedThisPass || request.dryRun || request.item != nil { break }
            if let max = request.maxItems, report.itemsMoved >= max { break }
        }
        return report
    }

    /// Bounds the steps one item takes in one run (a fix goes verify, gate, merge: a few).
    static let maxStepsPerItem = 12

    /// Takes one step of `item`; returns the item to go on with (the same, or the fix a
    /// proposal made), or nil when it cannot move now.
    private static func advance(_ item: String, _ request: Request, _ steps: LoopSteps, _ ledger: any EventStore,
                                _ report: inout Report) throws -> String? {
        let config = request.config
        var stepRequest = LoopSteps.StepRequest(
            item: item, holder: request.holder, now: request.clock(),
            leaseSeconds: { config.handlers[$0].map { $0.timeoutSeconds + 60 } ?? 60 },
            hasHandler: { config.handlers[$0] != nil },
            ruleDiagnosis: { config.ruleDiagnosis(of: $0) },
            holderIsGone: isGone)
        stepRequest.dryRun = request.dryRun
        switch try steps.takeStep(stepRequest) {
        case .waiting(let what):
            report.waiting.append(Waiting(item: item, waitsFor: what))
            return nil
        case .closed:
            return nil
        case .noHandler(let step):
            report.waiting.append(Waiting(item: item, waitsFor: "a person, or a \(step) handler in the loop config (none is configured)"))
            return nil
        case .decided(let step, let what):
            report.steps.append(Step(item: item, step: step, result: request.dryRun ? .wouldRun : .decided, detail: what))
            request.progress("\(item): \(what)")
            return item
        case .started(let started, let context):
            let handler = config.handlers[started.step]!
            if request.dryRun {
                report.steps.append(Step(item: item, step: started.step.rawValue, attempt: started.attempt, result: .wouldRun,
                                         detail: "would run \(handler.command.joined(separator: " "))"))
                return item
            }
            request.progress("\(item): \(started.step) (attempt \(started.attempt)): \(handler.command.joined(separator: " "))")
            let step = try runHandler(handler, started, context, request, steps, ledger)
            report.steps.append(step.record)
            request.progress("\(item): \(started.step) \(step.record.result): \(step.record.detail)")
            return step.record.result == .done ? step.next : nil
        }
    }

    /// Runs a started step's handler and records how it ended.
    private static func runHandler(_ handler: LoopConfig.Handler, _ started: LoopStepStarted, _ context: LoopSteps.StepContext,
                                   _ request: Request, _ steps: LoopSteps, _ ledger: any EventStore) throws -> (record: Step, next: String) {
        let now = request.clock()
        func failed(_ failure: HandlerFailure, _ message: String, exitCode: Int? = nil, stderr: String? = nil, ms: Int,
                    escalate: Bool = false) throws -> (record: Step, next: String) {
            let last = escalate || started.attempt >= request.config.attempts(for: started.step)
            let delay = Int64(request.config.backoffSeconds) << Int64(min(started.attempt - 1, 20))
            let retryAt = last ? nil : Timestamp(millisecondsSinceEpoch: request.clock().millisecondsSinceEpoch + 1000 * delay)
            do {
                let ended = try steps.failStep(started, failure: failure, exitCode: exitCode, message: message, stderrTail: stderr,
                                               durationMS: ms, retryAt: retryAt)
                return (Step(item: started.item, step: started.step.rawValue, attempt: started.attempt, result: ended.result == .retry ? .retry : .escalated,
                             failure: failure, detail: message, durationMS: ms, retryAt: ended.retryAt), started.item)
            } catch let lost as LeaseLost {
                return (Step(item: started.item, step: started.step.rawValue, attempt: started.attempt, result: .lostLease,
                             failure: failure, detail: lost.description, durationMS: ms), started.item)
            }
        }

        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let input = Array(try encoder.encode(try HandlerInput.make(for: started, context: context, ledger: ledger,
                                                                   address: request.ledgerAddress, config: request.config, now: now)))
        let result: ChildProcess.Result
        do {
            result = try ChildProcess.run(ChildProcess.Request(
                command: handler.command, input: input,
                environment: request.environment.merging(
                    ["REMEDY_LEDGER": request.ledgerAddress, "REMEDY_STEP": started.step.rawValue,
                     "REMEDY_ITEM": started.item, "REMEDY_ATTEMPT": String(started.attempt)]) { $1 },
                timeoutSeconds: Double(handler.timeoutSeconds), outputLimit: handler.outputLimit))
        } catch let error as SystemIOError {
            return try failed(.unavailable, error.message, ms: 0)
        }
        let tail = result.errorTail
        switch result.ending {
        case .timedOut:
            return try failed(.timeout, "the handler ran past its \(handler.timeoutSeconds) s and was killed", stderr: tail, ms: result.milliseconds)
        case .outputTooLarge:
            return try failed(.tooLarge, "the handler wrote more than \(handler.outputLimit >> 10) KiB (max_output_kib) and was killed", stderr: tail, ms: result.milliseconds)
        case .signaled(let signal):
            return try failed(.exit, "the handler was killed by signal \(signal)", stderr: tail, ms: result.milliseconds)
        case .exited(let code) where code != 0:
            return try failed(.exit, "the handler exited with status \(code)", exitCode: Int(code), stderr: tail, ms: result.milliseconds)
        case .exited:
            break
        }
        let answer: HandlerAnswer
        do {
            answer = try HandlerAnswer.parse(result.output, step: started.step, item: started.item, skills: request.skills)
        } catch let error as HandlerAnswer.Malformed {
            return try failed(.badOutput, error.message, exitCode: 0, stderr: tail, ms: result.milliseconds)
        }
        switch answer {
        case .decline(let reason):
            return try failed(.declined, reason.isEmpty ? "the handler declined" : reason, exitCode: 0, stderr: tail,
                              ms: result.milliseconds, escalate: true)
        case .answer(let stepAnswer):
            do {
                let ending = try steps.finishStep(started, answer: stepAnswer, by: "agent:loop-\(started.step)", durationMS: result.milliseconds)
                var next = started.item
                if case .proposal(let fix, _, _, _, _) = stepAnswer { next = fix }
                return (Step(item: started.item, step: started.step.rawValue, attempt: started.attempt, result: .done,
                             detail: ending.summary, durationMS: result.milliseconds), next)
            } catch let lost as LeaseLost {
                return (Step(item: started.item, step: started.step.rawValue, attempt: started.attempt, result: .lostLease,
                             detail: lost.description, durationMS: result.milliseconds), started.item)
            } catch let error as LoopError {
                return try failed(.refused, "the loop refused the handler's answer: \(error.message)", exitCode: 0, stderr: tail,
                                  ms: result.milliseconds)
            } catch let error as IngestError {
                return try failed(.refused, "the verification's reports could not be ingested: \(error.message)", exitCode: 0,
                                  stderr: tail, ms: result.milliseconds)
            }
        }
    }

    /// Whether the `loop run` a lease names is gone: on this machine, with no such process.
    static func isGone(_ holder: String) -> Bool {
        let parts = holder.split(separator: ":")
        guard parts.count >= 2, let pid = pid_t(parts.last!), String(parts.dropLast().joined(separator: ":")) == hostName(),
              pid != getpid() else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    private static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count) == 0 else { return "localhost" }
        return String(cString: name)
    }
}
