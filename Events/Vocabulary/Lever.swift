/// Which lever a diagnosis says fixes a failure, and a fix pulls: the `code`, a `threshold`
/// that disagrees with experts, or a `skill` (the instructions an AI coding assistant follows).
public enum Lever: String, VocabularyWord {
    case code, threshold, skill

    public static let setName = "lever"
}
