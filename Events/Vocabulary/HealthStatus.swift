/// A skill's health (`skill_health.status`), by the rules `remedy health` states beside it.
public enum HealthStatus: String, VocabularyWord {
    case healthy, degraded, failing

    public static let setName = "health status"
}
