/// A decoding error as one line a user can act on: which field, and what is wrong with it.
///
/// `DecodingError`'s own description is a nested dump of coding paths; every place that
/// reports one (report parsers, the catalogue check, folds that meet an unreadable event)
/// says it this way instead.
public enum DecodingErrorText {
    public static func describe(_ error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, let context): return "missing \"\(path(context.codingPath + [key]))\""
        case .typeMismatch(let type, let context): return "\"\(path(context.codingPath))\" must be \(type)"
        case .valueNotFound(let type, let context): return "\"\(path(context.codingPath))\" must be \(type), not null"
        case .dataCorrupted(let context):
            let reason = context.debugDescription.split(separator: "\n").first.map(String.init) ?? ""
            return context.codingPath.isEmpty ? "malformed JSON (\(reason))" : "\"\(path(context.codingPath))\": \(reason)"
        default: return "\(error)"
        }
    }

    /// `results[3].score`, from coding keys.
    private static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
        }
        return text
    }
}
