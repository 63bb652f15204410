#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Events
import Ingest
import LedgerStore
import RemediationLoop

extension Remedy {
    /// `remedy ingest`: record a run from its report files and detect what changed.
    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ingest",
            abstract: "Record a run from test or eval reports (JUnit XML, promptfoo, inspect_ai) and detect what changed.",
            discussion: "All or nothing: a bad file records nothing. Ingesting the same run from the same reports again records nothing new.")

        @OptionGroup var options: LedgerOptions
        @Argument(help: "The report files of the run.") var files: [String]
        @Option(help: "The suite the run belongs to.") var suite: String
        @Option(name: .customLong("run"), help: "The run's id, unique within the suite.") var runID: String
        @Option(help: "The commit that was tested.") var commit: String?
        @Option(help: "auto, junit, promptfoo or inspect.") var format: String = "auto"
        @Option(help: "What the run checks (default: test for JUnit, eval for eval logs).") var kind: RunKind?
        @Option(help: "The fix this run verifies.") var verifies: String?
        @Option(help: ArgumentHelp("A CODEOWNERS-style file mapping case-key globs to skills (default: .remedy/skills when present).", valueName: "file")) var skills: String?
        @Option(help: "Who records the run.") var actor: String = "ci"
        @Flag(help: "The tested tree had uncommitted changes.") var dirty = false
        @Option(help: "What started the run (push, schedule, manual, ...).") var trigger: String?
        @Option(name: .customLong("dataset-version"), help: "The golden dataset's version (default: the declared one).") var datasetVersion: String?
        @Option(help: "The harness that wrote the reports (default: from the format).") var producer: String?
        @Option(name: .customLong("producer-version"), help: "The harness's version.") var producerVersion: String?
        @Flag(name: .customLong("init"), help: "Create the ledger if it does not exist (a first run in a script).") var initialize = false
        @Flag(help: "Print the result as JSON.") var json = false

        func validate() throws {
            if format != "auto" && ReportFormat(rawValue: format) == nil {
                throw ValidationError("--format must be auto, junit, promptfoo or inspect")
            }
        }

        func run() throws {
            try reportingErrors {
                var request = IngestRequest(files: files, suite: suite, run: runID, actor: actor)
                request.commit = commit
                request.format = ReportFormat(rawValue: format)
                request.kind = kind
                request.verifies = verifies
                request.dirty = dirty
                request.trigger = trigger
                request.datasetVersion = datasetVersion
                request.producer = producer
                request.producerVersion = producerVersion
                if let path = skills ?? (access(SkillMap.defaultPath, R_OK) == 0 ? SkillMap.defaultPath : nil) {
                    request.skills = try SkillMap(text: String(decoding: try InputFile.readPayload(path: path), as: UTF8.self), name: path)
                }
                let ledger = try options.open(.readWrite, create: initialize ? .ifMissing() : .never)
                let summary = try RunIngester.ingest(request, into: ledger)
                StandardOutput.shared.write(json ? Self.json(summary) + "\n" : Self.text(summary))
                StandardOutput.shared.flush()
            }
        }

        static func json(_ summary: IngestSummary) -> String {
            var members: [(String, JSONText.Value)] = [
                ("suite", .string(summary.suite)), ("run", .string(summary.run)), ("recorded", .bool(summary.recorded)),
                ("tests", .int(summary.counts.tests)), ("failures", .int(summary.counts.failures)),
                ("errors", .int(summary.counts.errors)), ("skipped", .int(summary.counts.skipped)),
                ("duplicates", .int(summary.counts.duplicates)), ("cases", .int(summary.cases)),
                ("new_failures", .int(summary.newFailures.count)), ("still_failing", .int(summary.stillFailing)),
                ("fixed", .int(summary.fixed.count)), ("regressions", .int(summary.regressions.count)),
                ("flaky", .int(summary.flaky)),
                ("new_failure_ids", .array(summary.newFailures.map { .string($0) })),
                ("fixed_ids", .array(summary.fixed.map { .string($0) })),
                ("regression_ids", .array(summary.regressions.map { .string($0) })),
                ("declared_mismatches", .array(summary.declaredMismatches.map { .string($0) })),
            ]
            if let verification = summary.verification {
                members.append(("verification", .object([
                    ("fix", .string(verification.fix)), ("clean", .bool(verification.clean)),
                    ("golden_cases", .int(verification.goldenCases)), ("cases_covered", .int(verification.casesCovered)),
                    ("missing_cases", .array(verification.missingCases.map { .string($0) })),
                    ("guards_failed", .array(verification.guardsFailed.map { .string($0) })),
                    ("fail_to_pass", .array(verification.failToPass.map { .string($0) })),
                    ("pass_to_fail", .array(verification.passToFail.map { .string($0) })),
                ])))
            }
            return JSONText.object(members)
        }

        static func text(_ summary: IngestSummary) -> String {
            var rows: [(String, String)] = [
                ("run", "\(summary.suite) \(summary.run)\(summary.recorded ? "" : " (recorded before: nothing new)")"),
                ("tests", "\(summary.counts.tests): \(summary.counts.failures) failed, \(summary.counts.errors) errors, \(summary.counts.skipped) skipped"),
                ("new failures", summary.newFailures.isEmpty ? "0" : summary.newFailures.joined(separator: ", ")),
                ("still failing", String(summary.stillFailing)),
                ("fixed", summary.fixed.isEmpty ? "0" : summary.fixed.joined(separator: ", ")),
                ("regressions", summary.regressions.isEmpty ? "0" : summary.regressions.joined(separator: ", ")),
                ("flaky", String(summary.flaky)),
            ]
            if let verification = summary.verification {
                rows.append(("verification", "\(verification.fix): \(verification.clean ? "clean" : "not clean"), \(verification.casesCovered)/\(verification.goldenCases) golden cases, \(verification.failToPass.count) fixed, \(verification.passToFail.count) broken, \(verification.guardsFailed.count) guards failed"))
            }
            for mismatch in summary.declaredMismatches { rows.append(("note", mismatch)) }
            return Table.keyValue(rows)
        }
    }
}
