import Testing
@testable import Ingest

/// The parts of a TAP line read by hand (no regex: a literal is parsed each time it runs):
/// a trailing duration and a plan.
@Suite struct TAPLineTests {
    @Test(arguments: [
        ("parses the bulletin (0.01s)", "parses the bulletin", 10),
        ("parses the bulletin  \t(12ms)", "parses the bulletin", 12),
        ("slow (1.5s)", "slow", 1500),
        ("rounded (12.5ms)", "rounded", 13),
        ("(3s)", "", 3000),
        ("caf\u{E9} (7s)", "caf\u{E9}", 7000),
    ])
    func durationsAreReadAndRemoved(text: String, kept: String, milliseconds: Int) {
        let duration = TAPPoint.trailingDuration(text)
        #expect(duration?.text == kept && duration?.milliseconds == milliseconds)
    }

    @Test(arguments: ["no duration", "odd (5.s)", "odd (.5s)", "odd (1.2.3s)", "odd (5m)", "odd (5)", "odd 5s)",
                      "odd (s)", "odd (ms)", "odd (5s) after", "odd (5 s)", "(5S)", ")"])
    func otherEndingsAreKept(text: String) {
        #expect(TAPPoint.trailingDuration(text) == nil)
    }

    @Test func plansAreReadFromTheirPrefix() {
        #expect(TAPReportParser.planCount("1..12") == 12)
        #expect(TAPReportParser.planCount("1..0 # skip no tests") == 0)
        #expect(TAPReportParser.planCount("1..3trailing") == 3)
        #expect(TAPReportParser.planCount("1..") == nil)
        #expect(TAPReportParser.planCount("2..3") == nil)
        #expect(TAPReportParser.planCount("1..99999999999999999999999") == nil)
    }
}
