/// How a case stands over its history (`cases.status`, `remedy case`), from its last results.
public enum CaseCondition: String, VocabularyWord {
    /// Ran once so far, and passed.
    case new
    /// Passed last, and the time before.
    case passing
    /// Passed last, after failing.
    case fixed
    /// Failed last and has never passed.
    case failing
    /// Failed last after passing before.
    case regression
    /// Passed and failed in its last run (flaky).
    case flaky
    /// Quarantined: its failures do not count until the quarantine ends.
    case quarantined

    public static let setName = "case condition"
}
