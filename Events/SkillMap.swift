#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A CODEOWNERS-style mapping from case keys to skills: `glob  skill`, one rule a line.
///
/// `#` starts a comment; blank lines are skipped. Globs are shell patterns (`*`, `?`, `[...]`,
/// matched with fnmatch(3)) against the whole case key. As in CODEOWNERS, the last matching
/// rule wins, so general rules go first and exceptions after. At ingest, a case's own `skill`
/// or `component` property, when the report has one, takes precedence over the file; a map
/// adopted into the ledger (``SkillMapAdopted``) decides for every case it matches, over all
/// history, in the read models that count by skill.
///
/// ```
/// # case key glob                 skill
/// forecast.bulletins::*           date-normalizer
/// alerts.*                        danger-rating
/// ```
public struct SkillMap: Sendable, Equatable {
    /// One `glob  skill` line of the map.
    public struct Rule: Codable, Sendable, Equatable {
        public var pattern: String
        public var skill: String

        public init(pattern: String, skill: String) {
            self.pattern = pattern
            self.skill = skill
        }
    }

    public var rules: [Rule]

    /// Where the repository keeps its mapping by default, relative to where remedy runs.
    public static let defaultPath = ".remedy/skills"

    public init(rules: [Rule]) {
        self.rules = rules
    }

    /// Parses the mapping text.
    ///
    /// - Throws: ``EventError`` (`.invalidSkillMap`) naming the line of a rule without a skill.
    public init(text: String, name: String = "skill map") throws {
        rules = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            if fields.isEmpty { continue }
            guard fields.count == 2 else {
                throw EventError(.invalidSkillMap, "\(name): line \(index + 1): expected 'glob  skill', found \(fields.count) fields")
            }
            rules.append(Rule(pattern: String(fields[0]), skill: String(fields[1])))
        }
    }

    /// The skill of `key`: the last rule whose glob matches it.
    public func skill(for key: String) -> String? {
        rules.last { fnmatch($0.pattern, key, 0) == 0 }?.skill
    }
}
