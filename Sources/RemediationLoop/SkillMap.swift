#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LedgerStore

/// A CODEOWNERS-style mapping from case keys to skills: `glob  skill`, one rule a line.
///
/// `#` starts a comment; blank lines are skipped. Globs are shell patterns (`*`, `?`, `[...]`,
/// matched with fnmatch(3)) against the whole case key. As in CODEOWNERS, the last matching
/// rule wins, so general rules go first and exceptions after. A case's own `skill` or
/// `component` property, when the report has one, takes precedence over the file.
///
/// ```
/// # case key glob                 skill
/// forecast.bulletins::*           date-normalizer
/// alerts.*                        danger-rating
/// ```
public struct SkillMap: Sendable, Equatable {
    /// One `glob  skill` line of the map.
    public struct Rule: Sendable, Equatable {
        public var pattern: String
        public var skill: String
    }

    public var rules: [Rule]

    /// Where the repository keeps its mapping by default, relative to where remedy runs.
    public static let defaultPath = ".remedy/skills"

    /// Parses the mapping text.
    ///
    /// - Throws: ``LoopError`` (`.invalidArgument`) naming the line of a rule without a skill.
    public init(text: String, name: String = "skill map") throws {
        rules = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            guard fields.count == 2 else {
                throw LoopError(.invalidArgument, "\(name): line \(index + 1): expected 'glob  skill', found \(fields.count) fields")
            }
            rules.append(Rule(pattern: String(fields[0]), skill: String(fields[1])))
        }
    }

    /// The map at `path`, else at ``defaultPath`` when the repository has one, else none:
    /// what `remedy ingest` and `remedy loop run` (for verification runs) attribute cases by.
    ///
    /// - Throws: ``LedgerError`` when the file cannot be read, ``LoopError`` when it does not parse.
    public static func load(path: String?) throws -> SkillMap? {
        guard let path = path ?? (access(defaultPath, R_OK) == 0 ? defaultPath : nil) else { return nil }
        return try SkillMap(text: String(decoding: try InputFile.readPayload(path: path), as: UTF8.self), name: path)
    }

    /// The skill of `key`: the last rule whose glob matches it.
    public func skill(for key: String) -> String? {
        rules.last { fnmatch($0.pattern, key, 0) == 0 }?.skill
    }
}
