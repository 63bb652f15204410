/// `remedy loop run` took a step of an item (a failure or a fix) and handed it to a handler:
/// the step's lease, held by `holder` until `expires_at`. Stream: `loop-<item>`.
///
/// Another `loop run` does not take the item while the lease holds; once the step ends
/// (``LoopStepEnded``) or the lease expires, it may.
public struct LoopStepStarted: Codable, Sendable, Equatable {
    /// The failure or fix id, as `remedy next` lists it.
    public var item: String
    public var step: HandlerStep
    /// 1 for the first try at this step of the item, then one more for each retry.
    public var attempt: Int
    /// Which `loop run` holds it: `host:pid`.
    public var holder: String
    public var startedAt: String
    public var expiresAt: String

    enum CodingKeys: String, CodingKey {
        case item, step, attempt, holder, startedAt = "started_at", expiresAt = "expires_at"
    }

    public init(item: String, step: HandlerStep, attempt: Int, holder: String, startedAt: String, expiresAt: String) {
        self.item = item
        self.step = step
        self.attempt = attempt
        self.holder = holder
        self.startedAt = startedAt
        self.expiresAt = expiresAt
    }
}

/// How a step `remedy loop run` started ended: `done` (recorded in the same transaction as the
/// events the handler's answer led to), `retry` (at `retry_at`) or `escalated` (a person
/// takes over). Stream: `loop-<item>`.
public struct LoopStepEnded: Codable, Sendable, Equatable {
    public var item: String
    public var step: HandlerStep
    public var attempt: Int
    public var result: StepResult
    /// Why the handler's answer was not taken; absent when done.
    public var failure: HandlerFailure?
    public var exitCode: Int?
    /// What went wrong, or what the handler said (a decline's reason), in one line.
    public var message: String?
    /// The last few KiB of the handler's standard error.
    public var stderrTail: String?
    public var retryAt: String?
    public var durationMS: Int?
    /// Where the handler put its work (a review request's URL).
    public var link: String?

    enum CodingKeys: String, CodingKey {
        case item, step, attempt, result, failure, exitCode = "exit_code", message, stderrTail = "stderr_tail"
        case retryAt = "retry_at", durationMS = "duration_ms", link
    }

    public init(item: String, step: HandlerStep, attempt: Int, result: StepResult, failure: HandlerFailure? = nil,
                exitCode: Int? = nil, message: String? = nil, stderrTail: String? = nil, retryAt: String? = nil,
                durationMS: Int? = nil, link: String? = nil) {
        self.item = item
        self.step = step
        self.attempt = attempt
        self.result = result
        self.failure = failure
        self.exitCode = exitCode
        self.message = message
        self.stderrTail = stderrTail
        self.retryAt = retryAt
        self.durationMS = durationMS
        self.link = link
    }
}
