/// A step of the loop that `remedy loop run` hands to one of the team's handlers
/// (`LoopStepStarted.step`); the gate is remedy's own and has no handler.
public enum HandlerStep: String, VocabularyWord {
    case diagnose, propose, verify, merge, review

    public static let setName = "loop step"
}

/// How a step the loop ran ended (`LoopStepEnded.result`): done (its events are recorded with
/// it), to be retried at `retry_at`, or escalated to a person.
public enum StepResult: String, VocabularyWord {
    case done, retry, escalated

    public static let setName = "step result"
}

/// Why a handler's answer was not taken (`LoopStepEnded.failure`).
public enum HandlerFailure: String, VocabularyWord {
    /// It exited with a status other than 0, or was killed by a signal.
    case exit
    /// It ran past its `timeout_s`; its process group was killed.
    case timeout
    /// Its standard output was not the one JSON object the contract asks for.
    case badOutput = "bad-output"
    /// It wrote more than 1 MiB.
    case tooLarge = "too-large"
    /// It answered `{"decline": "reason"}`: a person takes over.
    case declined
    /// It could not be started (no such program, not executable).
    case unavailable
    /// Its answer was well formed, but the loop's rules refused what it asked to record.
    case refused
    /// The `loop run` that held the step is gone (killed mid-step); another took it over.
    case abandoned

    public static let setName = "handler failure"
}
