/// What a run checks (`EvalRunStarted.kind`), which is also the kind of the failures it
/// detects: the policy's rules tell lint fixes from eval fixes by it.
public enum RunKind: String, VocabularyWord {
    case lint, type, test, eval

    public static let setName = "kind"
}

/// The kind of a failure (`FailureDetected.kind`): its run's kind, or `regression` when the
/// case is a regression guard that failed again.
public enum FailureKind: String, VocabularyWord {
    case lint, type, test, eval, regression

    public static let setName = "failure kind"

    /// A failure detected by a run of `kind`.
    public init(_ kind: RunKind) {
        self = Self(rawValue: kind.rawValue)!
    }
}
