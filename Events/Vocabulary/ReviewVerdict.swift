/// A person's verdict on a fix (`ReviewRecorded.verdict`).
public enum ReviewVerdict: String, VocabularyWord {
    case approve, reject

    public static let setName = "review verdict"
}
