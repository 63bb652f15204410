import ArgumentParser
import Events
import LedgerStore
import ReadViews
import Reports
import RemediationLoop

extension Remedy {
    /// `remedy report`: the loop on one page, as HTML for people or Markdown for CI summaries.
    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "report",
            abstract: "Summarize the loop: ratchet history, skill health, the queue, the latest regressions.",
            discussion: """
            --html FILE writes one self-contained page (inline SVG, no network). --markdown prints \
            the same summary as GitHub-flavoured Markdown, e.g. `remedy report --markdown >> "$GITHUB_STEP_SUMMARY"`. \
            Without either, Markdown is printed.
            """)

        @OptionGroup var options: LedgerOptions
        @Option(help: ArgumentHelp("Write the HTML page to this file.", valueName: "file")) var html: String?
        @Flag(help: "Print the summary as Markdown.") var markdown = false
        @Option(help: "The page's title.") var title = "remedy: the remediation loop"
        @OptionGroup var asOf: AsOfOption

        func run() throws {
            try reportingErrors {
                let ledger = try options.openForReadModels()
                let position = try asOf.position(in: ledger)
                let now = try AsOfOption.clock(at: position, in: ledger)
                let report = try LoopReport.build(from: ReadModelView(ledger: ledger, asOf: position), now: now, title: title)
                if let html {
                    try InputFile.write(Array(report.html.utf8), to: html)
                    StandardError.write("wrote \(html): \(report.ratchet.count) runs, \(report.skills.count) skills, \(report.queue.count) queue items\n")
                }
                if markdown || html == nil {
                    StandardOutput.shared.write(report.markdown)
                    StandardOutput.shared.flush()
                }
            }
        }
    }
}
