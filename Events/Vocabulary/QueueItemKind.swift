/// What a queue item asks for (`queue.kind`, `remedy next`): a failed guard first, then each
/// step of the loop in order, and expired quarantines.
public enum QueueItemKind: String, VocabularyWord {
    /// A guard failed: first, always.
    case regression
    case diagnose
    case propose
    case verify
    case gate
    case review
    /// Auto-merged by the gate or approved by a person, its merge not recorded yet.
    case merge
    case quarantineExpired = "quarantine-expired"

    public static let setName = "queue item kind"
}
