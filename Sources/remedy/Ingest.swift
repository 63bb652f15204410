#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Events
import Ingest
import LedgerStore
import ReadViews
import RemediationLoop

extension Remedy {
    /// `remedy ingest`: record a run from its report files and detect what changed.
    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ingest",
            abstract: "Record a run from its reports (JUnit XML, TRX, TAP, SARIF, CTRF, go test -json, promptfoo, inspect_ai .eval or JSON) and detect what changed.",
            discussion: "All or nothing: a bad file records nothing. Ingesting the same run from the same reports again records nothing new.")

        @OptionGroup var options: LedgerOptions
        @Argument(help: "The report files of the run.") var files: [String]
        @Option(help: "The suite the run belongs to.") var suite: String
        @Option(name: .customLong("run"), help: "The run's id, unique within the suite.") var runID: String
        @Option(help: ArgumentHelp("The CI re-run this is (1 the first; e.g. $GITHUB_RUN_ATTEMPT): attempt 2 and later are recorded as run RUN/attempt-N.", valueName: "n"))
        var attempt: Int?
        @Option(help: "The commit that was tested.") var commit: String?
        @Option(help: "auto (by content), junit, trx, tap, sarif, ctrf, go-test-json, promptfoo or inspect.") var format: String = "auto"
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
            if let attempt, attempt < 1 { throw ValidationError("--attempt must be at least 1") }
            if format != "auto" && ReportFormat(rawValue: format) == nil {
                throw ValidationError("--format must be auto or one of \(ReportFormat.names)")
            }
        }

        func run() throws {
            try reportingErrors {
                var request = IngestRequest(files: files, suite: suite, run: LoopStreams.runID(runID, attempt: attempt), actor: actor)
                request.commit = commit
                request.format = ReportFormat(rawValue: format)
                request.kind = kind
                request.verifies = verifies
                request.dirty = dirty
                request.trigger = trigger
                request.datasetVersion = datasetVersion
                request.producer = producer
                request.producerVersion = producerVersion
                let ledger = try options.openStore(.readWrite, create: initialize ? .ifMissing() : .never)
                request.skills = try SkillMap.forIngest(path: skills, store: ledger)
                let summary = try RunIngester.ingest(request, into: ledger)
                if json {
                    let output = Output(summary)
                    try JSONOutput.print(output, streaming: [output.newFailureIds, output.newFailureCases])
                } else {
                    StandardOutput.shared.write(try Self.text(summary))
                }
                StandardOutput.shared.flush()
            }
        }

        /// `--json`: the run's counts and every id it detected, resolved or flagged.
        struct Output: Encodable {
            var suite: String
            var run: String
            var recorded: Bool
            var tests: Int
            var failures: Int
            var errors: Int
            var skipped: Int
            var duplicates: Int
            var cases: Int
            var newFailures: Int
            var stillFailing: Int
            var fixed: Int
            var regressions: Int
            var flaky: Int
            /// Written one at a time (a run may detect a million): see ``StreamedArray``.
            var newFailureIds: StreamedArray<String>
            /// Each new failure with its case, in the order of `new_failure_ids`.
            var newFailureCases: StreamedArray<FailureCase>
            var fixedIds: [String]
            var regressionIds: [String]
            var declaredMismatches: [String]
            @NullEncoded var verification: VerificationOutput?

            struct FailureCase: Encodable {
                var failure: String
                var `case`: String
            }

            struct VerificationOutput: Encodable {
                var fix: String
                var clean: Bool
                var goldenCases: Int
                var casesCovered: Int
                var missingCases: [String]
                var guardsFailed: [String]
                var failToPass: [String]
                var passToFail: [String]
            }

            init(_ summary: IngestSummary) {
                suite = summary.suite
                run = summary.run
                recorded = summary.recorded
                tests = summary.counts.tests
                failures = summary.counts.failures
                errors = summary.counts.errors
                skipped = summary.counts.skipped
                duplicates = summary.counts.duplicates
                cases = summary.cases
                newFailures = summary.newFailures.count
                stillFailing = summary.stillFailing
                fixed = summary.fixed.count
                regressions = summary.regressions.count
                flaky = summary.flaky
                let list = summary.newFailures
                newFailureIds = StreamedArray { body in try list.forEach { try body($0.failure) } }
                newFailureCases = StreamedArray { body in try list.forEach { try body(FailureCase(failure: $0.failure, case: $0.caseKey)) } }
                fixedIds = summary.fixed
                regressionIds = summary.regressions
                declaredMismatches = summary.declaredMismatches
                verification = summary.verification.map {
                    VerificationOutput(fix: $0.fix, clean: $0.clean, goldenCases: $0.goldenCases, casesCovered: $0.casesCovered,
                                       missingCases: $0.missingCases, guardsFailed: $0.guardsFailed, failToPass: $0.failToPass,
                                       passToFail: $0.passToFail)
                }
            }
        }

        /// New failures the text output names one a line; `--json` lists them all.
        static let listedFailures = 20

        /// Failure ids on one line: "0", or up to ``listedFailures`` of them and how many more
        /// (a linter run that fixes 70,000 violations would otherwise print a 1 MB line).
        static func listed(_ failures: [String]) -> String {
            guard !failures.isEmpty else { return "0" }
            let shown = failures.prefix(listedFailures).joined(separator: ", ")
            return failures.count > listedFailures ? "\(shown), ... and \(failures.count - listedFailures) more (--json lists them all)" : shown
        }

        static func text(_ summary: IngestSummary) throws -> String {
            var rows: [(String, String)] = [
                ("run", "\(summary.suite) \(summary.run)\(summary.recorded ? "" : " (recorded before: nothing new)")"),
                ("tests", "\(summary.counts.tests): \(summary.counts.failures) failed, \(summary.counts.errors) errors, \(summary.counts.skipped) skipped"),
                ("new failures", String(summary.newFailures.count)),
                ("still failing", String(summary.stillFailing)),
                ("fixed", listed(summary.fixed)),
                ("regressions", listed(summary.regressions)),
                ("flaky", String(summary.flaky)),
            ]
            if let verification = summary.verification {
                rows.append(("verification", "\(verification.fix): \(verification.clean ? "clean" : "not clean"), \(verification.casesCovered)/\(verification.goldenCases) golden cases, \(verification.failToPass.count) fixed, \(verification.passToFail.count) broken, \(verification.guardsFailed.count) guards failed"))
            }
            for mismatch in summary.declaredMismatches { rows.append(("note", mismatch)) }
            var text = Table.keyValue(rows)
            for item in try summary.newFailures.prefix(listedFailures) {
                text += "  \(item.failure.padding(14))\(item.caseKey)\n"
            }
            if summary.newFailures.count > listedFailures {
                text += "  ... and \(summary.newFailures.count - listedFailures) more new failures (--json lists them all)\n"
            }
            return text
        }
    }
}
