#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import Events

/// The autonomy slider as a file people edit: ordered rules that map a fix's facts to
/// `auto-merge`, `review` or `block`. The first rule whose conditions all hold decides.
///
/// ```json
/// {"high_stakes": ["alerts.*"],
///  "rules": [{"name": "lint fixes merge themselves", "when": {"kind": ["lint"]}, "decide": "auto-merge"},
///            {"name": "everything else", "when": {}, "decide": "review"}]}
/// ```
///
/// Conditions (all optional; a rule with none matches everything): `kind` (lint, type, test,
/// eval, regression), `lever`, `target` (globs), `blast_radius`, `origin` (lists of values),
/// `reversible`, `high_stakes`, `verified_clean`, `passed_before`, `retargeted` (booleans);
/// earned autonomy: `auto_merges_at_least`, `reverts_at_most`, `regressions_at_most` (whole
/// numbers, over the record of fixes of the same origin and lever). `high_stakes`
/// lists target globs that are high-stakes.
public struct AutonomyPolicy: Sendable, Equatable {
    /// One rule: its name, the conditions that must all hold, and what it decides.
    public struct Rule: Sendable, Equatable, Codable {
        public var name: String
        public var when: Conditions
        public var decide: GateDecision
    }

    /// A rule's conditions on a fix's facts; a condition left out always holds.
    public struct Conditions: Sendable, Equatable, Codable {
        public var kind: [FailureKind]?
        public var lever: [Lever]?
        public var target: [String]?
        public var blastRadius: [BlastRadius]?
        public var origin: [FixOrigin]?
        public var reversible: Bool?
        public var highStakes: Bool?
        public var verifiedClean: Bool?
        public var passedBefore: Bool?
        public var retargeted: Bool?
        /// Earned autonomy: the record of this origin's fixes with this lever.
        public var autoMergesAtLeast: Int?
        public var revertsAtMost: Int?
        public var regressionsAtMost: Int?

        enum CodingKeys: String, CodingKey, CaseIterable {
            case kind, lever, target, blastRadius = "blast_radius", origin, reversible
            case highStakes = "high_stakes", verifiedClean = "verified_clean", passedBefore = "passed_before", retargeted
            case autoMergesAtLeast = "auto_merges_at_least", revertsAtMost = "reverts_at_most", regressionsAtMost = "regressions_at_most"
        }
    }

    public var highStakes: [String]
    public var rules: [Rule]
    /// The exact text adopted, and its SHA-256: what decisions cite.
    public var text: String
    public var sha256: String

    /// Parses and validates a policy.
    ///
    /// - Throws: ``LoopError`` (`.invalidArgument`) naming the rule and the field at fault.
    public init(text: String, name: String = "policy") throws {
        let object: Any
        do {
            object = try Self.jsonObject(text)
        } catch {
            throw LoopError(.invalidArgument, "\(name): not valid JSON: \(error)")
        }
        guard let root = object as? [String: Any] else { throw LoopError(.invalidArgument, "\(name): the policy must be a JSON object") }
        for key in root.keys where !["high_stakes", "rules", "name", "description"].contains(key) {
            throw LoopError(.invalidArgument, "\(name): unknown field \"\(key)\" (expected name, description, high_stakes, rules)")
        }
        highStakes = try Self.strings(root["high_stakes"], "\(name): high_stakes") ?? []
        guard let rawRules = root["rules"] as? [Any], !rawRules.isEmpty else {
            throw LoopError(.invalidArgument, "\(name): \"rules\" must be a non-empty list")
        }
        rules = []
        for (index, raw) in rawRules.enumerated() {
            let label = "\(name): rule \(index + 1)"
            guard let rule = raw as? [String: Any] else { throw LoopError(.invalidArgument, "\(label) is not an object") }
            for key in rule.keys where !["name", "when", "decide"].contains(key) {
                throw LoopError(.invalidArgument, "\(label): unknown field \"\(key)\" (expected name, when, decide)")
            }
            guard let ruleName = rule["name"] as? String, !ruleName.isEmpty else { throw LoopError(.invalidArgument, "\(label): \"name\" must be a non-empty string") }
            let named = "\(name): rule \(index + 1) (\(ruleName))"
            guard let decide = (rule["decide"] as? String).flatMap(GateDecision.init(rawValue:)) else {
                throw LoopError(.invalidArgument, "\(named): \"decide\" must be \(GateDecision.wordList)")
            }
            let when = rule["when"] as? [String: Any] ?? [:]
            if rule["when"] != nil && rule["when"] as? [String: Any] == nil { throw LoopError(.invalidArgument, "\(named): \"when\" must be an object") }
            let fields = Conditions.CodingKeys.allCases.map(\.rawValue)
            for key in when.keys where !fields.contains(key) {
                throw LoopError(.invalidArgument, "\(named): unknown condition \"\(key)\" (expected \(fields.joined(separator: ", ")))")
            }
            var conditions = Conditions()
            conditions.kind = try Self.words(when["kind"], "\(named): when.kind")
            conditions.lever = try Self.words(when["lever"], "\(named): when.lever")
            conditions.target = try Self.strings(when["target"], "\(named): when.target")
            conditions.blastRadius = try Self.words(when["blast_radius"], "\(named): when.blast_radius")
            conditions.origin = try Self.words(when["origin"], "\(named): when.origin")
            conditions.reversible = try Self.bool(when["reversible"], "\(named): when.reversible")
            conditions.highStakes = try Self.bool(when["high_stakes"], "\(named): when.high_stakes")
            conditions.verifiedClean = try Self.bool(when["verified_clean"], "\(named): when.verified_clean")
            conditions.passedBefore = try Self.bool(when["passed_before"], "\(named): when.passed_before")
            conditions.retargeted = try Self.bool(when["retargeted"], "\(named): when.retargeted")
            conditions.autoMergesAtLeast = try Self.count(when["auto_merges_at_least"], "\(named): when.auto_merges_at_least")
            conditions.revertsAtMost = try Self.count(when["reverts_at_most"], "\(named): when.reverts_at_most")
            conditions.regressionsAtMost = try Self.count(when["regressions_at_most"], "\(named): when.regressions_at_most")
            rules.append(Rule(name: ruleName, when: conditions, decide: decide))
        }
        self.text = text
        self.sha256 = SHA256.hash(data: Array(text.utf8)).lowercaseHex
    }

    /// The first rule that matches `facts`, and the names of every rule considered up to it.
    public func firstMatch(_ facts: GateFacts) -> (rule: Rule?, considered: [String]) {
        var considered: [String] = []
        for rule in rules {
            considered.append(rule.name)
            if rule.when.matches(facts, highStakes: highStakes) { return (rule, considered) }
        }
        return (nil, considered)
    }

    /// The document as plain values (`[String: Any]`, `[Any]`, `String`, `Bool`, `Double`).
    private static func jsonObject(_ text: String) throws -> Any {
        try JSONDecoder().decode(PlainJSON.self, from: Data(text.utf8)).value
    }

    private static func strings(_ value: Any?, _ label: String) throws -> [String]? {
        guard let value else { return nil }
        guard let list = value as? [String] else { throw LoopError(.invalidArgument, "\(label) must be a list of strings") }
        return list
    }

    private static func words<Word: VocabularyWord>(_ value: Any?, _ label: String) throws -> [Word]? {
        try strings(value, label)?.map { text in
            guard let word = Word(rawValue: text) else {
                throw LoopError(.invalidArgument, "\(label): unknown value \"\(text)\" (expected \(Word.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return word
        }
    }

    private static func count(_ value: Any?, _ label: String) throws -> Int? {
        guard let value else { return nil }
        guard let number = value as? Double, number >= 0, number == number.rounded(), number < 1e9 else {
            throw LoopError(.invalidArgument, "\(label) must be a whole number, 0 or more")
        }
        return Int(number)
    }

    private static func bool(_ value: Any?, _ label: String) throws -> Bool? {
        guard let value else { return nil }
        guard let flag = value as? Bool else { throw LoopError(.invalidArgument, "\(label) must be true or false") }
        return flag
    }
}

extension AutonomyPolicy.Conditions {
    func matches(_ facts: GateFacts, highStakes: [String]) -> Bool {
        if let kind, !kind.contains(facts.kind) { return false }
        if let lever, !lever.contains(facts.lever) { return false }
        if let target, !target.contains(where: { fnmatch($0, facts.target, 0) == 0 }) { return false }
        if let blastRadius, !blastRadius.contains(facts.blastRadius) { return false }
        if let origin, !origin.contains(facts.origin) { return false }
        if let reversible, reversible != facts.reversible { return false }
        if let wanted = self.highStakes, wanted != facts.isHighStakes(highStakes) { return false }
        if let verifiedClean, verifiedClean != facts.verifiedClean { return false }
        if let passedBefore, passedBefore != facts.passedBefore { return false }
        if let retargeted, retargeted != facts.retargeted { return false }
        if let autoMergesAtLeast, facts.recordAutoMerges < autoMergesAtLeast { return false }
        if let revertsAtMost, facts.recordReverts > revertsAtMost { return false }
        if let regressionsAtMost, facts.recordRegressions > regressionsAtMost { return false }
        return true
    }
}


/// Any JSON value, decoded to plain Swift values for validation with precise messages.
private struct PlainJSON: Decodable {
    let value: Any

    init(from decoder: Decoder) throws {
        if var array = try? decoder.unkeyedContainer() {
            var items: [Any] = []
            while !array.isAtEnd { items.append(try array.decode(PlainJSON.self).value) }
            value = items
        } else if let object = try? decoder.container(keyedBy: AnyKey.self) {
            var members: [String: Any] = [:]
            for key in object.allKeys { members[key.stringValue] = try object.decode(PlainJSON.self, forKey: key).value }
            value = members
        } else {
            let single = try decoder.singleValueContainer()
            if let flag = try? single.decode(Bool.self) { value = flag }
            else if let number = try? single.decode(Double.self) { value = number }
            else if let text = try? single.decode(String.self) { value = text }
            else { value = Optional<Any>.none as Any }
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
