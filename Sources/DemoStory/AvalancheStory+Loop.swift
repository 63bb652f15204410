#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Events
import LedgerStore
import LoopRunner
import RemediationLoop

extension AvalancheStory {
    /// The story with the loop run by remedy (`remedy demo --loop`): only the runs are
    /// ingested and one person reviews; `remedy loop run` and the example handlers
    /// (``ExampleHandlers``) do the rest.
    ///
    /// Run 1's date failure is diagnosed (skill `date-normalizer`), proposed, verified and
    /// auto-merged by the loop. Run 2's danger-rating failure gets a threshold fix whose gate
    /// asks for a person: the review handler writes its evidence to `reviews/` in `folder`;
    /// the person approves and the next loop run merges it. Run 3 slips the date guard: the
    /// regression is detected and queued first.
    ///
    /// - Throws: what the loop's steps throw (none, on a new ledger), or ``LoopError`` when a
    ///   handler could not be run.
    public static func playLoop(into ledger: any EventStore, address: String, folder: String) throws -> Played {
        var played = Played()
        let paths = try writeReports(into: folder)
        var handlers: [String] = []
        mkdir(folder + "/examples", 0o755)
        mkdir(folder + "/examples/loop", 0o755)
        for handler in ExampleHandlers.all {
            let path = folder + "/examples/loop/" + handler.file
            try InputFile.write(Array((handler.text + "\n").utf8), to: path, mode: 0o755)
            handlers.append(#""\#(handler.step)": {"command": ["\#(path)"], "timeout_s": 60}"#)
        }
        let config = try LoopConfig(text: #"{"handlers": {\#(handlers.joined(separator: ", "))}, "backoff_s": 0}"#, name: "the demo's loop config")
        var request = LoopRunner.Request(config: config, ledgerAddress: address)
        request.environment = [
            // The golden set "runs" by copying the story's verification report of the fix.
            "GOLDEN_COMMAND": #"cp "\#(folder)/verify-$FIX.xml" "$REPORT""#,
            "GOLDEN_REPORTS": folder + "/golden",
            // The merge "lands" at a commit named after the fix.
            "MERGE_COMMAND": #"printf '%s' "$FIX" | sha1sum | cut -c1-7"#,
            "REVIEW_DIR": folder + "/reviews",
        ]
        func loop(_ label: String) throws {
            let report = try LoopRunner.run(request, ledger: ledger)
            for step in report.steps {
                let failure = step.failure.map { " (\($0))" } ?? ""
                played.steps.append("loop run \(label): \(step.item) \(step.step) \(step.result.rawValue)\(failure): \(step.detail)")
                if step.result == .retry || step.result == .escalated {
                    throw LoopError(.invalidState, "the demo's \(step.step) handler failed: \(step.detail); it needs python3 and a POSIX shell")
                }
            }
            for waiting in report.waiting {
                played.steps.append("loop run \(label): \(waiting.item) waits for \(waiting.waitsFor)")
            }
        }
        let steps = LoopSteps(ledger: ledger)
        func ingest(_ name: String, run: String) throws {
            var request = IngestRequest(files: [paths[name]!], suite: suite, run: run)
            request.kind = .eval
            request.commit = ["1": "4f2c9e1", "2": "8a3b7c2", "3": "c0ffee1"][run]
            let summary = try RunIngester.ingest(request, into: ledger)
            played.steps.append("ingest run \(run): \(summary.counts.tests) cases, \(summary.counts.failures) failing; new failures \(try summary.newFailures.ids()), fixed \(summary.fixed), regressions \(summary.regressions)")
        }

        try ingest("run-1", run: "1")
        try loop("1")
        try ingest("run-2", run: "2")
        try loop("2")
        try steps.review(fix: "danger-threshold", approve: true, comment: "matches the forecasters' 60 cm", by: "dana@example.com")
        played.steps.append("review danger-threshold: approved by dana@example.com (evidence in reviews/danger-threshold.md)")
        try loop("3")
        try ingest("run-3", run: "3")
        played.decisions = try Gate.recordedDecisions(in: ledger)
        return played
    }
}
