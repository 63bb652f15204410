#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Events

/// SARIF 2.1.0 (ruff, ESLint, Semgrep, CodeQL, Trivy; mypy and pyright through converters):
/// a lint or type run in which each result is a case.
///
/// A result's level is its `level`, else its rule's `defaultConfiguration.level`, else
/// `warning`. The rule is found by id (`ruleId` or `rule.id`) in the driver's rules, or in
/// `tool.extensions[i]`'s when `rule.toolComponent.index` is i; the rule index is used only
/// when no id matches (some tools write wrong indices). A result not suppressed at level
/// `error` or `warning` fails; a suppressed one (a `suppressions` entry, none under review or
/// rejected) or one at `note` or `none` is skipped.
///
/// A case's key is `path::ruleId#fingerprint`, the fingerprint hashed from the result's
/// `partialFingerprints`, else from the flagged line's text (`region.snippet`), else from its
/// message: so code that moves keeps its case. A second result with the same key in one file
/// (the same rule flagging two lines alike, `x == None` twice) is its own case, keyed with
/// `~2` (then `~3`, ...) in report order: fixing one of two leaves one failing and one fixed,
/// as the tool sees it. A SARIF run lists every finding in the tree
/// (``ReportFacts/coversWholeTree``): a case failing before and absent now has passed, which
/// is how a fixed violation becomes a fixed case, and then a guard.
struct SARIFReportParser {
    let name: String
    /// How often each key was met so far (one entry a case: kept where the caller says).
    var occurrences: ReportScratch = MemoryScratch()

    /// Reads the log in two streaming passes: its version and each run's tool (the rules),
    /// then the results one at a time (memory follows the largest tool or result, not the file).
    func parse(descriptor: Int32, _ sink: (CaseOutcome) throws -> Void) throws -> ReportFacts {
        let stream = JSONPathStream(descriptor: descriptor, name: name)
        var version: String?, tools: [Int: SARIFLog.Tool] = [:], sawRuns = false
        try stream.walk([[.key("version")], [.key("runs"), .element, .key("tool")]]) { pattern, bytes, indices in
            if pattern == 0 { version = try ReportJSON.decode(String.self, bytes, file: name, what: "SARIF log", at: "version") }
            if pattern == 1 {
                tools[indices[0]] = try ReportJSON.decode(SARIFLog.Tool.self, bytes, file: name, what: "SARIF log", at: "runs[\(indices[0])].tool")
                sawRuns = true
            }
        }
        guard version == nil || version == "2.1.0" else {
            throw IngestError(.unsupported, "\(name): SARIF version \(version!) (remedy reads 2.1.0)")
        }
        guard sawRuns else { throw IngestError(.malformed, "\(name): not a valid SARIF log: no runs with a tool") }
        var facts = ReportFacts(format: .sarif)
        facts.coversWholeTree = true
        facts.producer = tools[0]?.driver.name
        facts.producerVersion = tools[0]?.driver.semanticVersion ?? tools[0]?.driver.version
        // Each result's key made unique by its occurrence (so no duplicates to count).
        try stream.walk([[.key("runs"), .element, .key("results"), .element]]) { _, bytes, indices in
            let (runIndex, index) = (indices[0], indices[1])
            let result = try ReportJSON.decode(SARIFLog.Result.self, bytes, file: name, what: "SARIF log", at: "runs[\(runIndex)].results[\(index)]")
            guard let tool = tools[runIndex] else { throw IngestError(.malformed, "\(name): not a valid SARIF log: runs[\(runIndex)] has no tool") }
            var outcome = try Self.outcome(result, tool: tool, at: "runs[\(runIndex)].results[\(index)]", name: name)
            let occurrence = (try occurrences.value(for: outcome.key)).flatMap { Int($0) }.map { $0 + 1 } ?? 1
            try occurrences.set(String(occurrence), for: outcome.key)
            if occurrence > 1 { outcome.key = CaseOutcome.caseKey(outcome.key + "~\(occurrence)") }
            facts.counts.count(outcome)
            try sink(outcome)
        }
        return facts
    }

    /// The case one result is.
    static func outcome(_ result: SARIFLog.Result, tool: SARIFLog.Tool, at path: String, name: String) throws -> CaseOutcome {
        let rule = Self.rule(of: result, in: tool)
        guard let ruleID = result.ruleId ?? result.rule?.id ?? rule?.id else {
            throw IngestError(.malformed, "\(name): \(path) names no rule")
        }
        let level = result.level ?? rule?.defaultConfiguration?.level ?? "warning"
        let suppressed = !(result.suppressions ?? []).isEmpty
            && !(result.suppressions ?? []).contains { $0.status == "underReview" || $0.status == "rejected" }
        let failing = !suppressed && (level == "error" || level == "warning")
        let location = result.locations?.first?.physicalLocation
        let path = Self.path(location?.artifactLocation?.uri)
        var outcome = CaseOutcome(key: CaseOutcome.caseKey("\(path)::\(ruleID)#\(Self.fingerprint(result))"), status: failing ? .fail : .skip)
        let message = result.message?.text ?? result.message?.markdown ?? rule?.shortDescription?.text
        if failing {
            outcome.message = CaseOutcome.bounded(message)
            let region = location?.region
            let place = [path, region?.startLine.map(String.init), region?.startColumn.map(String.init)].compactMap { $0 }.joined(separator: ":")
            outcome.output = CaseOutcome.Evidence([place, region?.snippet?.text].compactMap { $0 }.joined(separator: "\n"))
        } else {
            outcome.message = suppressed ? "suppressed" : "level \(level)"
        }
        outcome.properties["level"] = CaseOutcome.bounded(level, to: CaseOutcome.maximumPropertyLength)
        outcome.properties["rule"] = CaseOutcome.bounded(ruleID, to: CaseOutcome.maximumPropertyLength)
        return outcome
    }

    /// The rule a result points at: by id in the component it names, else by index.
    static func rule(of result: SARIFLog.Result, in tool: SARIFLog.Tool) -> SARIFLog.Rule? {
        let component = result.rule?.toolComponent?.index.flatMap { index in tool.extensions.flatMap { index < $0.count ? $0[index] : nil } } ?? tool.driver
        let rules = component.rules ?? []
        if let id = result.ruleId ?? result.rule?.id, let found = rules.first(where: { $0.id == id }) { return found }
        if let index = result.ruleIndex ?? result.rule?.index, index >= 0, index < rules.count { return rules[index] }
        return nil
    }

    /// A location's path as the report gives it, without a `file://` scheme.
    static func path(_ uri: String?) -> String {
        guard var uri, !uri.isEmpty else { return "-" }
        if uri.hasPrefix("file://") { uri = String(uri.dropFirst(7)) }
        return uri
    }

    /// 16 hex digits standing for where the result is, independent of its line number.
    static func fingerprint(_ result: SARIFLog.Result) -> String {
        let material: String
        if let prints = result.partialFingerprints, !prints.isEmpty {
            material = prints.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n")
        } else if let snippet = result.locations?.first?.physicalLocation?.region?.snippet?.text {
            material = "snippet:" + snippet.trimmingCharacters()
        } else {
            material = "message:" + (result.message?.text ?? result.message?.markdown ?? "")
        }
        var hasher = FNV1a()
        for byte in material.utf8 { hasher.combine(byte) }
        let hex = String(hasher.value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Guesses a run's kind from its tool: type checkers report type errors, the rest lint.
    static func kind(tool: String) -> RunKind {
        let name = tool.lowercased()
        let checkers = ["mypy", "pyright", "pyre", "pytype", "typescript", "tsc", "flow", "sorbet", "psalm", "phpstan", "basedpyright"]
        return checkers.contains { name.contains($0) } ? .type : .lint
    }
}

/// The parts of a SARIF log remedy reads, each decoded on its own as the stream finds it
/// (`version`, each run's `tool`, each of its `results`).
enum SARIFLog {
    struct Tool: Decodable {
        var driver: Component
        var extensions: [Component]?
    }
    struct Component: Decodable {
        var name: String?
        var version: String?
        var semanticVersion: String?
        var rules: [Rule]?
    }
    struct Rule: Decodable {
        var id: String?
        var defaultConfiguration: Configuration?
        var shortDescription: Message?
    }
    struct Configuration: Decodable {
        var level: String?
    }
    struct Message: Decodable {
        var text: String?
        var markdown: String?
    }
    struct RuleReference: Decodable {
        var id: String?
        var index: Int?
        var toolComponent: ComponentReference?
    }
    struct ComponentReference: Decodable {
        var index: Int?
    }
    struct Result: Decodable {
        var ruleId: String?
        var ruleIndex: Int?
        var rule: RuleReference?
        var level: String?
        var message: Message?
        var locations: [Location]?
        var partialFingerprints: [String: String]?
        var suppressions: [Suppression]?
    }
    struct Location: Decodable {
        var physicalLocation: PhysicalLocation?
    }
    struct PhysicalLocation: Decodable {
        var artifactLocation: ArtifactLocation?
        var region: Region?
    }
    struct ArtifactLocation: Decodable {
        var uri: String?
    }
    struct Region: Decodable {
        var startLine: Int?
        var startColumn: Int?
        var snippet: Message?
    }
    struct Suppression: Decodable {
        var status: String?
    }
}
