/// How much a fix can break if it is wrong (`FixProposed.blast_radius`); the gate lets only
/// low-radius fixes merge themselves under the default policy.
public enum BlastRadius: String, VocabularyWord {
    case low, medium, high

    public static let setName = "blast radius"

    /// The larger of two radii: low < medium < high.
    public static func larger(_ one: BlastRadius, _ other: BlastRadius) -> BlastRadius {
        allCases.firstIndex(of: one)! >= allCases.firstIndex(of: other)! ? one : other
    }
}
