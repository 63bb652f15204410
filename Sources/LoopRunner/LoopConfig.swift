#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Events
import RemediationLoop

/// What `remedy loop run` runs for each step, read from `.remedy/loop.json`:
///
/// ```json
/// {"handlers": {
///    "diagnose": {"command": ["./agents/triage.sh"], "timeout_s": 600, "retries": 2},
///    "propose":  {"command": ["./agents/fixer.sh"], "timeout_s": 1800},
///    "verify":   {"command": ["./ci/run-golden.sh"], "timeout_s": 3600},
///    "merge":    {"command": ["./ci/merge.sh"]},
///    "review":   {"command": ["./ci/request-review.sh"]}},
///  "max_attempts": 3,
///  "diagnosis_rules": [{"when": {"kind": "lint"}, "lever": "code", "target": "{case}"}]}
/// ```
///
/// A step without a handler waits for a person (or a command); `diagnosis_rules` diagnose a
/// failure without any handler, first match wins. Commands run from the current directory.
public struct LoopConfig: Sendable, Equatable {
    /// One step's handler.
    public struct Handler: Sendable, Equatable {
        /// The program and its arguments; a program without `/` is looked up on `PATH`.
        public var command: [String]
        public var timeoutSeconds: Int
        /// Tries after the first before the step goes to a person (default: `max_attempts` - 1).
        public var retries: Int?
        /// The most bytes of standard output taken (`max_output_kib`, 1 MiB by default, at most
        /// 64 MiB); past it the handler is killed and the try recorded as `too-large`, before
        /// its output grows remedy's memory.
        public var outputLimit: Int = Handler.standardOutputLimit

        /// `max_output_kib` when a handler does not say.
        public static let standardOutputLimit = 1 << 20
        /// The largest `max_output_kib` a config may ask for.
        public static let largestOutputLimit = 64 << 20
    }

    /// A diagnosis made without a handler, for failures that match.
    public struct DiagnosisRule: Sendable, Equatable {
        public var name: String
        /// Failure kinds that match (any when absent).
        public var kinds: [FailureKind]?
        /// Globs over the suite, the case key and the skill (any when absent).
        public var suite: String?
        public var caseKey: String?
        public var skill: String?
        public var lever: Lever
        /// The target; `{case}`, `{suite}` and `{skill}` are replaced by the failure's.
        public var target: String
        public var confidence: String?

        public init(name: String, kinds: [FailureKind]? = nil, suite: String? = nil, caseKey: String? = nil, skill: String? = nil,
                    lever: Lever, target: String, confidence: String? = nil) {
            self.name = name
            self.kinds = kinds
            self.suite = suite
            self.caseKey = caseKey
            self.skill = skill
            self.lever = lever
            self.target = target
            self.confidence = confidence
        }
    }

    public var handlers: [HandlerStep: Handler]
    public var maxAttempts: Int
    public var diagnosisRules: [DiagnosisRule]
    /// A link for each trace id handlers get: `{trace_id}` is replaced by the id.
    public var traceURL: String?
    /// The wait before the first retry; each later one waits twice as long as the one before.
    public var backoffSeconds: Int

    /// Where `loop run` looks when `--config` is not given.
    public static let defaultPath = ".remedy/loop.json"

    /// The config without a file: no handlers, and the seed's deterministic diagnoses (a lint
    /// or type failure is a code fix of the flagged case). With the default policy, that is
    /// the seed's table: lint fixes merge themselves, low-radius type fixes too, tests and eval
    /// regressions go to a person.
    public static let standard = try! LoopConfig(text: "{}", name: "the standard loop config")

    /// The diagnoses a config without `diagnosis_rules` makes.
    static let standardRules = [
        DiagnosisRule(name: "lint findings are code fixes of the flagged case", kinds: [.lint], lever: .code, target: "{case}", confidence: "1"),
        DiagnosisRule(name: "type errors are code fixes of the flagged case", kinds: [.type], lever: .code, target: "{case}", confidence: "1"),
    ]

    /// Reads and checks a config.
    ///
    /// - Throws: ``LoopError`` (`.invalidArgument`) naming the config and the field at fault.
    public init(text: String, name: String) throws {
        let file: ConfigFile
        do {
            file = try JSONDecoder().decode(ConfigFile.self, from: Data(text.utf8))
        } catch let error as LoopError {
            throw LoopError(.invalidArgument, "\(name): \(error.message)")
        } catch {
            throw LoopError(.invalidArgument, "\(name): \(DecodingErrorText.describe(error))")
        }
        maxAttempts = file.maxAttempts ?? 3
        guard maxAttempts >= 1 else { throw LoopError(.invalidArgument, "\(name): \"max_attempts\" must be at least 1") }
        backoffSeconds = file.backoffSeconds ?? 60
        guard backoffSeconds >= 0 else { throw LoopError(.invalidArgument, "\(name): \"backoff_s\" must not be negative") }
        traceURL = file.traceURL
        handlers = [:]
        for (stepName, handler) in file.handlers ?? [:] {
            guard let step = HandlerStep(rawValue: stepName) else {
                throw LoopError(.invalidArgument, "\(name): unknown handler \"\(stepName)\" (expected \(HandlerStep.wordList))")
            }
            guard let program = handler.command.first, !program.isEmpty else {
                throw LoopError(.invalidArgument, "\(name): \"handlers.\(stepName).command\" must name a program")
            }
            let timeout = handler.timeoutS ?? 600
            guard timeout >= 1 else { throw LoopError(.invalidArgument, "\(name): \"handlers.\(stepName).timeout_s\" must be at least 1") }
            if let retries = handler.retries, retries < 0 {
                throw LoopError(.invalidArgument, "\(name): \"handlers.\(stepName).retries\" must not be negative")
            }
            let outputLimit = handler.maxOutputKiB.map { $0 << 10 } ?? Handler.standardOutputLimit
            guard outputLimit >= 1 << 10, outputLimit <= Handler.largestOutputLimit else {
                throw LoopError(.invalidArgument, "\(name): \"handlers.\(stepName).max_output_kib\" must be from 1 to \(Handler.largestOutputLimit >> 10)")
            }
            handlers[step] = Handler(command: handler.command, timeoutSeconds: timeout, retries: handler.retries, outputLimit: outputLimit)
        }
        // Without a list of its own, a config keeps the standard rules (lint and type).
        guard let rules = file.diagnosisRules else {
            diagnosisRules = Self.standardRules
            return
        }
        diagnosisRules = []
        for (index, rule) in rules.enumerated() {
            let label = "\(name): diagnosis_rules[\(index)]"
            guard !rule.target.isEmpty else { throw LoopError(.invalidArgument, "\(label).target must not be empty") }
            if let confidence = rule.confidence {
                do { try LoopRules.checkConfidence(confidence) } catch let error as LoopError {
                    throw LoopError(.invalidArgument, "\(label).confidence: \(error.message)")
                }
            }
            diagnosisRules.append(DiagnosisRule(name: rule.name ?? "diagnosis rule \(index + 1)", kinds: rule.when?.kind?.values,
                                                suite: rule.when?.suite, caseKey: rule.when?.case, skill: rule.when?.skill,
                                                lever: rule.lever, target: rule.target, confidence: rule.confidence))
        }
    }

    /// How many tries a step gets before it goes to a person.
    public func attempts(for step: HandlerStep) -> Int {
        handlers[step]?.retries.map { $0 + 1 } ?? maxAttempts
    }

    /// The first rule's diagnosis of `failure`, with the rule's name.
    public func ruleDiagnosis(of failure: LoopState.Failure) -> (diagnosis: DiagnosisRecorded, rule: String)? {
        let detected = failure.detected
        for rule in diagnosisRules {
            if let kinds = rule.kinds, !kinds.contains(detected.kind) { continue }
            if let suite = rule.suite, !Glob.matches(suite, detected.suite) { continue }
            if let key = rule.caseKey, !Glob.matches(key, detected.case) { continue }
            if let skill = rule.skill, !Glob.matches(skill, detected.skill ?? "") { continue }
            let target = Template.fill(rule.target, ["case": detected.case, "suite": detected.suite, "skill": detected.skill ?? ""])
            let diagnosis = DiagnosisRecorded(failure: failure.id, lever: rule.lever, target: target,
                                              evidence: ["diagnosis rule: \(rule.name)"], confidence: rule.confidence,
                                              by: "remedy:loop")
            return (diagnosis, rule.name)
        }
        return nil
    }
}

/// The config file as written, checked field by field (unknown fields are refused by name).
private struct ConfigFile: Decodable {
    var handlers: [String: HandlerFile]?
    var maxAttempts: Int?
    var backoffSeconds: Int?
    var diagnosisRules: [RuleFile]?
    var traceURL: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case handlers, maxAttempts = "max_attempts", backoffSeconds = "backoff_s", diagnosisRules = "diagnosis_rules", traceURL = "trace_url"
    }

    init(from decoder: any Decoder) throws {
        try refuseUnknownKeys(decoder, CodingKeys.allCases.map(\.rawValue), in: "the config")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        handlers = try container.decodeIfPresent([String: HandlerFile].self, forKey: .handlers)
        maxAttempts = try container.decodeIfPresent(Int.self, forKey: .maxAttempts)
        backoffSeconds = try container.decodeIfPresent(Int.self, forKey: .backoffSeconds)
        diagnosisRules = try container.decodeIfPresent([RuleFile].self, forKey: .diagnosisRules)
        traceURL = try container.decodeIfPresent(String.self, forKey: .traceURL)
    }

    struct HandlerFile: Decodable {
        var command: [String]
        var timeoutS: Int?
        var retries: Int?
        var maxOutputKiB: Int?

        enum CodingKeys: String, CodingKey, CaseIterable { case command, timeoutS = "timeout_s", retries, maxOutputKiB = "max_output_kib" }

        init(from decoder: any Decoder) throws {
            try refuseUnknownKeys(decoder, CodingKeys.allCases.map(\.rawValue), in: "a handler")
            let container = try decoder.container(keyedBy: CodingKeys.self)
            command = try container.decode([String].self, forKey: .command)
            timeoutS = try container.decodeIfPresent(Int.self, forKey: .timeoutS)
            retries = try container.decodeIfPresent(Int.self, forKey: .retries)
            maxOutputKiB = try container.decodeIfPresent(Int.self, forKey: .maxOutputKiB)
        }
    }

    struct RuleFile: Decodable {
        var name: String?
        var when: Match?
        var lever: Lever
        var target: String
        var confidence: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case name, when, lever, target, confidence }

        init(from decoder: any Decoder) throws {
            try refuseUnknownKeys(decoder, CodingKeys.allCases.map(\.rawValue), in: "a diagnosis rule")
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decodeIfPresent(String.self, forKey: .name)
            when = try container.decodeIfPresent(Match.self, forKey: .when)
            lever = try container.decode(Lever.self, forKey: .lever)
            target = try container.decode(String.self, forKey: .target)
            confidence = try container.decodeIfPresent(String.self, forKey: .confidence)
        }
    }

    struct Match: Decodable {
        var kind: OneOrMany<FailureKind>?
        var suite: String?
        var `case`: String?
        var skill: String?

        enum CodingKeys: String, CodingKey, CaseIterable { case kind, suite, `case`, skill }

        init(from decoder: any Decoder) throws {
            try refuseUnknownKeys(decoder, CodingKeys.allCases.map(\.rawValue), in: "a rule's \"when\"")
            let container = try decoder.container(keyedBy: CodingKeys.self)
            kind = try container.decodeIfPresent(OneOrMany<FailureKind>.self, forKey: .kind)
            suite = try container.decodeIfPresent(String.self, forKey: .suite)
            self.case = try container.decodeIfPresent(String.self, forKey: .case)
            skill = try container.decodeIfPresent(String.self, forKey: .skill)
        }
    }
}

/// A value or a list of values: `"kind": "lint"` and `"kind": ["lint", "type"]` alike.
struct OneOrMany<Value: Decodable>: Decodable {
    var values: [Value]

    init(from decoder: any Decoder) throws {
        if let one = try? decoder.singleValueContainer().decode(Value.self) {
            values = [one]
        } else {
            values = try decoder.singleValueContainer().decode([Value].self)
        }
    }
}

/// Any key of an object, for listing what a file holds.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Refuses an object with a field outside `known`, naming it and the fields allowed.
func refuseUnknownKeys(_ decoder: any Decoder, _ known: [String], in what: String) throws {
    let keys = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
    if let unknown = keys.sorted().first(where: { !known.contains($0) }) {
        let path = decoder.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        throw LoopError(.invalidArgument, "unknown field \"\(unknown)\"\(path.isEmpty ? "" : " in \(path)") of \(what) (expected \(known.joined(separator: ", ")))")
    }
}
