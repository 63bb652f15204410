/// A deterministic generator of large, realistic JUnit XML reports, for ingest benchmarks.
///
/// Cases carry what real reports carry: nested suites, classnames and names with escapes,
/// `time` attributes, properties, failure messages with stack traces, CDATA system-out, and
/// now and then a skipped or erroring case.
public struct JUnitReportGenerator {
    private var random: SplitMix64

    public init(seed: UInt64 = 20_261_125) {
        random = SplitMix64(seed: seed)
    }

    /// Writes a report of `cases` test cases through `write`, in pieces.
    public mutating func generate(cases: Int, write: (String) -> Void) {
        write("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"golden\" tests=\"\(cases)\">\n")
        let perSuite = 500
        var index = 0
        while index < cases {
            let suite = "golden.skill\(index / perSuite % 40).area\(index / perSuite)"
            write("  <testsuite name=\"\(suite)\" tests=\"\(min(perSuite, cases - index))\" timestamp=\"2026-11-25T09:00:00\">\n")
            write("    <properties><property name=\"model\" value=\"m-\(index % 4)\"/></properties>\n")
            for _ in 0..<min(perSuite, cases - index) {
                let roll = random.next() % 100
                let name = "case_\(index)_checks_the_&quot;\(["dates", "thresholds", "alerts", "bulletins"][index % 4]) &amp; units&quot;"
                write("    <testcase classname=\"\(suite).Test\(index % 17)\" name=\"\(name)\" time=\"\(random.next() % 5).\(random.next() % 1000)\">\n")
                write("      <properties><property name=\"skill\" value=\"skill-\(index % 40)\"/><property name=\"trace_id\" value=\"tr-\(String(random.next(), radix: 16))\"/></properties>\n")
                if roll < 5 {
                    write("      <failure message=\"expected 0.80 &lt;= score, got 0.\(random.next() % 80)\" type=\"AssertionError\">Traceback (most recent call last):\n")
                    for frame in 0..<8 { write("  File \"/src/pipeline/stage_\(frame).py\", line \(random.next() % 400), in run\n    result = self.evaluate(case, threshold=0.8)\n") }
                    write("AssertionError: score below threshold</failure>\n")
                } else if roll < 6 {
                    write("      <error message=\"provider timeout\">TimeoutError: no answer in 30 s</error>\n")
                } else if roll < 8 {
                    write("      <skipped message=\"quarantined\"/>\n")
                }
                write("      <system-out><![CDATA[")
                for line in 0..<4 { write("2026-11-25T09:00:0\(line).000Z INFO stage \(line) of case \(index): loaded \(random.next() % 10000) records, tokens=\(random.next() % 4000)\n") }
                write("]]></system-out>\n    </testcase>\n")
                index += 1
            }
            write("  </testsuite>\n")
        }
        write("</testsuites>\n")
    }
}
