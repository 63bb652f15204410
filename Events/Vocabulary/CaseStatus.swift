/// How one attempt at a case ended (`CaseOutcomeRecorded.status`), and a case's final status
/// in a run: the last attempt that was not skipped.
public enum CaseStatus: String, VocabularyWord {
    case pass, fail, error, skip

    public static let setName = "case status"

    /// A failing attempt: `fail` (an assertion) or `error` (the case could not run).
    public var isFailure: Bool { self == .fail || self == .error }
}
