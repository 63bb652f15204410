import Testing
@testable import RemediationLoop
@testable import ReadViews
@testable import Reports

/// The report's renderers: escaping, empty ledgers, long histories.
@Suite struct ReportTests {
    static func point(_ run: Int, slips: Int = 0) -> LoopReport.RatchetPoint {
        .init(suite: "golden", runID: "\(run)", position: run * 10, guardsTotal: run / 10, guardsHeld: run / 10, slips: slips,
              passRate: "0.9000", highWater: run / 10)
    }

    @Test func anEmptyLedgerRendersWithoutAChart() {
        let report = LoopReport(title: "t", ledgerPosition: 0, lastRecordedAt: nil, ratchet: [], skills: [], queue: [], regressions: [])
        #expect(report.html.contains("No runs recorded yet"))
        #expect(!report.html.contains("<svg id=\"ratchet-chart"))
        #expect(report.markdown.contains("# t"))
    }

    @Test func longHistoriesAreSampledKeepingTheLastRunAndEverySlip() {
        var points = (1...5_000).map { Self.point($0) }
        points[1_234] = Self.point(1_235, slips: 3)
        let drawn = RatchetChart.sample(points)
        #expect(drawn.count <= RatchetChart.maxPoints)
        #expect(drawn.last == 4_999)
        #expect(drawn.contains(1_234))
        let report = LoopReport(title: "t", ledgerPosition: 50_000, lastRecordedAt: "2026-11-25T00:00:00.000Z", ratchet: points,
                                skills: [], queue: [], regressions: [])
        #expect(report.html.contains("5000 runs (\(drawn.count) drawn, always the latest)"))
        #expect(report.markdown.contains("| golden | 5000 |"))
        #expect(!report.markdown.contains("| golden | 4990 |"), "the summary shows the last 10 runs")
    }

    @Test func textFromTheLedgerIsEscaped() {
        let regression = RegressionView(failure: "failure-1", suite: "s", case: "a|b <script>alert(1)</script>", lastGoodRun: nil,
                                        lastGoodCommit: nil, firstBadRun: "2", firstBadCommit: nil, open: true)
        let report = LoopReport(title: "<b>", ledgerPosition: 1, lastRecordedAt: nil, ratchet: [Self.point(1)], skills: [], queue: [],
                                regressions: [regression])
        #expect(!report.html.contains("<script>alert"))
        #expect(report.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(report.markdown.contains(#"a\|b"#))
    }
}
