/// Where a regression guard stands, in the read models (`guards.state`): one meaning each.
///
/// - `holding`: the case passed since its fix and has not failed again;
/// - `slipped`: it failed again (an open regression), and still guards;
/// - `retired`: a person retired it; it guards no more.
///
/// A guard is *active* (counted by the ratchet, required in verifications) while holding or
/// slipped.
public enum GuardState: String, VocabularyWord {
    case holding, slipped, retired

    public static let setName = "guard state"

    /// Holding or slipped: not retired.
    public var isActive: Bool { self != .retired }
}
