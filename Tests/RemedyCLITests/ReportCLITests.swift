import Foundation
import XCTest

/// `remedy report`: the HTML page renders in a real headless browser, and the Markdown summary
/// is what a CI job summary shows.
final class ReportCLITests: XCTestCase {
    /// Chromium from Debian's packages, which `.ci/run` installs.
    static let browsers = ["/usr/bin/chromium-headless-shell", "/usr/bin/chromium", "/usr/bin/chromium-browser"]

    /// Without a browser the rendering test is skipped, saying so, unless
    /// `REMEDY_REQUIRE_CHROMIUM=1` (set by `.ci/run`) makes a missing browser a failure.
    func testTheHTMLReportRendersInHeadlessChromiumWithItsChart() throws {
        guard let browser = Self.browsers.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            let message = "no headless Chromium found (\(Self.browsers.joined(separator: ", "))): install Debian's chromium-headless-shell, as .ci/run does"
            if ProcessInfo.processInfo.environment["REMEDY_REQUIRE_CHROMIUM"] == "1" { return XCTFail(message) }
            throw XCTSkip(message + "; set REMEDY_REQUIRE_CHROMIUM=1 to make this a failure")
        }
        let folder = TemporaryFolder()
        let ledger = folder.file("ledger.db"), page = folder.file("report.html")
        XCTAssertEqual(try Remedy.run(["demo", "--ledger", ledger]).status, 0)
        let written = try Remedy.run(["report", "--ledger", ledger, "--html", page, "--title", "Avalanche <forecasts> & co"])
        XCTAssertEqual(written.status, 0, written.stderr)
        XCTAssertTrue(written.stderr.contains("wrote \(page): 3 runs, 3 skills, 1 queue items"), written.stderr)
        let html = try String(contentsOfFile: page, encoding: .utf8)
        XCTAssertTrue(html.contains("Avalanche &lt;forecasts&gt; &amp; co"), "the title is escaped")
        XCTAssertFalse(html.contains("src=\"http") || html.contains("href=\"http"), "nothing is fetched")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: browser)
        process.arguments = ["--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", "--dump-dom", URL(fileURLWithPath: page).absoluteString]
        let stdout = Pipe(), stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        let dom = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let log = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, log)
        // The page's own script marks the body once every chart has its lines, and collects errors.
        XCTAssertTrue(dom.contains(#"data-rendered="ok""#), "the chart rendered: \(dom.prefix(2000))")
        XCTAssertFalse(dom.contains("data-errors="), "no script errors: \(dom.prefix(2000))")
        XCTAssertFalse(log.contains("Refused to") || log.contains("Uncaught"), "no blocked loads or console errors: \(log)")
        XCTAssertTrue(dom.contains(#"<svg id="ratchet-chart-0""#) && dom.contains("<path"), "the ratchet chart is in the page")
        for shown in ["date-normalizer", "failing", "failure-3", "c0ffee1"] { XCTAssertTrue(dom.contains(shown), "\(shown) is shown") }
    }

    func testTheMarkdownSummaryAndTimeTravel() throws {
        let folder = TemporaryFolder()
        let ledger = folder.file("ledger.db")
        XCTAssertEqual(try Remedy.run(["demo", "--ledger", ledger]).status, 0)
        let summary = try Remedy.run(["report", "--ledger", ledger, "--markdown"])
        XCTAssertEqual(summary.status, 0, summary.stderr)
        for expected in ["# remedy: the remediation loop", "| avalanche-golden | 3 | 52 | 2 | 1 | 1 | 80.00% | 1 |",
                         "| date-normalizer | failing |", "| regression | failure-3 |"] {
            XCTAssertTrue(summary.stdout.contains(expected), "\(summary.stdout) lacks \(expected)")
        }
        let before = try Remedy.run(["report", "--ledger", ledger, "--as-of", "run:1"])
        XCTAssertEqual(before.status, 0, before.stderr)
        XCTAssertTrue(before.stdout.contains("As of ledger position 8"), before.stdout)
        XCTAssertFalse(before.stdout.contains("| avalanche-golden | 2 |"), "run 2 had not happened")
        XCTAssertTrue(before.stdout.contains("| diagnose | failure-1 |"), before.stdout)
    }
}
