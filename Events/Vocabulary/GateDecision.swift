/// What the gate decided for a verified fix (`GateDecided.decision`): merge without a person,
/// ask a person, or refuse until a person approves.
public enum GateDecision: String, VocabularyWord {
    case autoMerge = "auto-merge"
    case review
    case block

    public static let setName = "gate decision"
}
