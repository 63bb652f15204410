/// Who proposed a fix (`FixProposed.origin`): an `agent` (or a CI job), or a `human`.
public enum FixOrigin: String, VocabularyWord {
    case agent, human

    public static let setName = "fix origin"
}
