#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Events
import SystemIO

/// `go test -json` (test2json events, one JSON object a line), read a line at a time.
///
/// Every final event of a test (`pass`, `fail`, `skip`) is a case attempt keyed
/// `package::Test` (subtests keep their `Parent/child` name): a subtest and its parent are two
/// cases, and a test run again in the same file (gotestsum `--rerun-fails`) is another attempt.
/// The test's `output` lines since it started are its message and output. A package that
/// fails with no test of it failing since its previous package-level result (a build or setup
/// failure, TestMain exiting, a panic or timeout outside a failing test) is an error keyed by
/// the package path, with the build output (Go 1.24's `build-output`, keyed by `ImportPath`)
/// or the package's own output as its message; so is a plain-text `FAIL <package> [build
/// failed]` line among the JSON, which Go before 1.24 writes.
struct GoTestReportParser {
    let name: String

    /// The longest line read (an `output` event carries one line of a test's output).
    static let maximumLineLength = 8 << 20

    private struct Event: Decodable {
        var Action: String?
        var Package: String?
        var Test: String?
        var Output: String?
        var Elapsed: Double?
        var ImportPath: String?
        var FailedBuild: String?
    }

    /// A package's state between its package-level results.
    private struct PackageState {
        var testFailed = false
        var output = EvidenceBuffer()
    }

    func parse(_ reader: LineReader, _ sink: (CaseOutcome) throws -> Void) throws -> ReportFacts {
        var facts = ReportFacts(format: .goTestJSON)
        facts.producer = "go test"
        var outputs: [String: EvidenceBuffer] = [:]
        var packages: [String: PackageState] = [:]
        var buildOutput: [String: EvidenceBuffer] = [:]
        var seen = SeenKeys()
        var events = 0
        let decoder = JSONDecoder()
        while let line = try reader.nextReportLine() {
            let trimmed = line.drop { $0 == 0x20 || $0 == 0x09 }
            guard trimmed.first == UInt8(ascii: "{") else {
                if let package = Self.plainBuildFailure(trimmed) {
                    var outcome = CaseOutcome(key: CaseOutcome.caseKey(package), status: .error)
                    outcome.message = "the package did not build: \(String(decoding: trimmed, as: UTF8.self))"
                    facts.counts.errors += 1
                    try sink(outcome)
                }
                continue
            }
            let event: Event
            do {
                event = try decoder.decode(Event.self, from: Data(trimmed))
            } catch {
                throw IngestError(.malformed, "\(name): line \(reader.lineNumber): not a go test -json event: \(DecodingErrorText.describe(error))")
            }
            events += 1
            let action = event.Action ?? ""
            if action == "build-output" || action == "build-fail" {
                if let path = event.ImportPath, let text = event.Output { buildOutput[path, default: EvidenceBuffer()].append(text) }
                continue
            }
            guard let package = event.Package else { continue }
            guard let test = event.Test else {
                switch action {
                case "output":
                    if let text = event.Output { packages[package, default: PackageState()].output.append(text) }
                case "pass", "skip":
                    packages[package] = nil
                case "fail":
                    let state = packages.removeValue(forKey: package) ?? PackageState()
                    guard !state.testFailed else { break }
                    var outcome = CaseOutcome(key: CaseOutcome.caseKey(package), status: .error)
                    let build = event.FailedBuild.flatMap { buildOutput.removeValue(forKey: $0) }
                    let evidence = (build ?? state.output).evidence
                    outcome.message = CaseOutcome.bounded(event.FailedBuild != nil ? "the package did not build" : "the package failed outside its tests")
                    outcome.output = evidence
                    outcome.durationMilliseconds = CaseOutcome.milliseconds(event.Elapsed.map { $0 * 1000 })
                    facts.counts.errors += 1
                    try sink(outcome)
                default:
                    break
                }
                continue
            }
            let key = CaseOutcome.caseKey("\(package)::\(test)")
            switch action {
            case "run":
                outputs[key] = EvidenceBuffer()
            case "output":
                if let text = event.Output { outputs[key, default: EvidenceBuffer()].append(text) }
            case "pass", "fail", "skip":
                let status: CaseOutcome.Status = action == "pass" ? .pass : action == "fail" ? .fail : .skip
                var outcome = CaseOutcome(key: key, status: status)
                outcome.durationMilliseconds = CaseOutcome.milliseconds(event.Elapsed.map { $0 * 1000 })
                let output = outputs.removeValue(forKey: key)?.evidence
                if status != .pass {
                    outcome.output = output
                    outcome.message = CaseOutcome.bounded(output.map { Self.summary($0.text) })
                }
                if status == .fail { packages[package, default: PackageState()].testFailed = true }
                try facts.counts.count(outcome, seen: &seen)
                try sink(outcome)
            default:
                break
            }
        }
        guard events > 0 || facts.counts.errors > 0 else {
            throw IngestError(.notAReport, "\(name): no go test -json events found")
        }
        facts.counts.duplicates += try seen.duplicates()
        return facts
    }

    /// Whether a file's first lines are test2json events: the first line that is not a
    /// plain-text build failure (which Go before 1.24 writes first) is an object with an
    /// `Action`.
    static func looksLikeEvents(_ head: String) -> Bool {
        let lines = head.split(separator: "\n")
        guard let first = lines.first(where: { plainBuildFailure(ArraySlice($0.utf8)) == nil }) else { return false }
        let line = first.trimmingCharacters()
        return line.hasPrefix("{") && line.contains("\"Action\"") && line.hasSuffix("}")
    }

    /// The package of a plain-text `FAIL\t<package> [build failed]` (or `[setup failed]`) line.
    static func plainBuildFailure(_ line: ArraySlice<UInt8>) -> String? {
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("FAIL"), text.hasSuffix("[build failed]") || text.hasSuffix("[setup failed]") else { return nil }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        return fields.count >= 3 ? String(fields[1]) : nil
    }

    /// The lines of a failing test's output that say why (`file_test.go:12: ...`), else all of it.
    static func summary(_ output: String) -> String {
        let lines = output.split(separator: "\n").map { $0.trimmingCharacters() }
            .filter { !$0.hasPrefix("=== ") && !$0.hasPrefix("--- ") && !$0.isEmpty }
        return lines.isEmpty ? output : lines.joined(separator: "\n")
    }
}
