/// The format of an adopted policy's text (`PolicyAdopted.format`).
public enum PolicyFormat: String, VocabularyWord {
    case json

    public static let setName = "policy format"
}
