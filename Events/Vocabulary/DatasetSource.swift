/// Where the golden dataset a verification covered came from (`FixVerified.dataset_source`):
/// the suite's `declared` dataset, or, without one, the cases of its `last-complete-run`.
public enum DatasetSource: String, VocabularyWord {
    case declared
    case lastCompleteRun = "last-complete-run"

    public static let setName = "dataset source"
}
