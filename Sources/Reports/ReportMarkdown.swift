import ReadViews
extension LoopReport {
    /// The report as GitHub-flavoured Markdown, short enough for `$GITHUB_STEP_SUMMARY`.
    ///
    /// A step summary is read in the run's page between other steps, so this keeps to the
    /// latest: the last ``MarkdownText/ratchetRuns`` runs per suite and the first
    /// ``MarkdownText/rowLimit`` queue items and regressions; the HTML page has the history.
    /// Every string from the ledger passes through ``MarkdownText/cell(_:)``.
    ///
    /// ```swift
    /// print(report.markdown)   // in a CI step: ... >> "$GITHUB_STEP_SUMMARY"
    /// ```
    public var markdown: String {
        var out = "# \(MarkdownText.cell(title))\n\n"
        out += summaryLine + "\n"
        out += ratchetMarkdown
        out += skillsMarkdown
        out += queueMarkdown
        out += regressionsMarkdown
        return out
    }

    /// One line: where the ledger stands, each suite's latest run against its guards, open failures.
    ///
    /// Open failures are summed over ``skills``: every failure has one skill (those without
    /// one count under `unmapped`), so the sum is every open failure.
    private var summaryLine: String {
        var parts = ["As of ledger position \(ledgerPosition)" + (lastRecordedAt.map { " (\(MarkdownText.cell($0)))" } ?? "")]
        let suites = ratchetBySuite
        if suites.isEmpty { parts.append("no runs recorded yet") }
        for group in suites {
            guard let last = group.points.last else { continue }
            parts.append("**\(MarkdownText.cell(group.suite))**: \(last.guardsHeld)/\(last.guardsTotal) guards held "
                         + "in run \(MarkdownText.cell(last.runID)), high-water \(last.highWater)")
        }
        let open = skills.reduce(0) { $0 + $1.row.openFailures }
        parts.append("\(open) open failure\(open == 1 ? "" : "s") across skills")
        return parts.joined(separator: " · ") + "\n"
    }

    private var ratchetMarkdown: String {
        var out = "## Ratchet\n\n"
        let suites = ratchetBySuite
        guard !suites.isEmpty else { return out + "No runs recorded yet.\n\n" }
        out += MarkdownText.row(["Suite", "Run", "Position", "Guards", "Held", "Slips", "Pass rate", "High-water"])
        out += "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        var omitted: [String] = []
        for group in suites {
            let shown = group.points.suffix(MarkdownText.ratchetRuns)
            if shown.count < group.points.count {
                omitted.append("\(group.points.count - shown.count) earlier run\(group.points.count - shown.count == 1 ? "" : "s") of \(MarkdownText.cell(group.suite))")
            }
            for point in shown {
                out += MarkdownText.row([MarkdownText.cell(point.suite), MarkdownText.cell(point.runID), "\(point.position)",
                                         "\(point.guardsTotal)", "\(point.guardsHeld)", "\(point.slips)",
                                         ReportNumbers.percent(point.passRate) ?? "n/a", "\(point.highWater)"])
            }
        }
        out += "\n"
        if !omitted.isEmpty { out += "Not shown: \(omitted.joined(separator: ", ")).\n\n" }
        return out
    }

    private var skillsMarkdown: String {
        var out = "## Skill health\n\n"
        guard !skills.isEmpty else { return out + "No skills mapped yet.\n\n" }
        out += MarkdownText.row(["Skill", "Status", "Pass rate", "Trend", "Cases", "Open failures", "Guards", "Regressions", "Rule"])
        out += "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | --- |\n"
        for skill in skills {
            out += MarkdownText.row([MarkdownText.cell(skill.skill), MarkdownText.cell(skill.status.rawValue),
                                     ReportNumbers.percent(skill.row.passRate) ?? "n/a", MarkdownText.cell(skill.row.trend?.rawValue ?? ""),
                                     "\(skill.row.cases)", "\(skill.row.openFailures)", "\(skill.row.guards)", "\(skill.row.regressions)",
                                     MarkdownText.cell(skill.rule)])
        }
        return out + "\n"
    }

    private var queueMarkdown: String {
        var out = "## Queue\n\n"
        guard !queue.isEmpty else { return out + "Nothing to do: the queue is empty.\n\n" }
        out += MarkdownText.row(["Action", "Subject", "Detail", "Age (runs)", "Age"])
        out += "| --- | --- | --- | ---: | ---: |\n"
        for item in queue.prefix(MarkdownText.rowLimit) {
            out += MarkdownText.row([MarkdownText.cell(item.kind.rawValue), MarkdownText.cell(item.subject), MarkdownText.cell(item.action),
                                     "\(item.ageRuns)", humanDuration(milliseconds: item.ageMilliseconds)])
        }
        return out + "\n" + MarkdownText.more(queue.count)
    }

    private var regressionsMarkdown: String {
        var out = "## Latest regressions\n\n"
        guard !regressions.isEmpty else { return out + "No regressions recorded.\n\n" }
        out += MarkdownText.row(["Suite", "Case", "Last good run", "Last good commit", "First bad run", "First bad commit"])
        out += "| --- | --- | --- | --- | --- | --- |\n"
        for regression in regressions.prefix(MarkdownText.rowLimit) {
            out += MarkdownText.row([MarkdownText.cell(regression.suite), MarkdownText.cell(regression.case),
                                     regression.lastGoodRun.map(MarkdownText.cell) ?? "none recorded",
                                     regression.lastGoodCommit.map(MarkdownText.cell) ?? "",
                                     MarkdownText.cell(regression.firstBadRun),
                                     regression.firstBadCommit.map(MarkdownText.cell) ?? ""])
        }
        return out + "\n" + MarkdownText.more(regressions.count)
    }
}

/// Escaping and table rows for the Markdown report.
enum MarkdownText {
    /// Runs per suite in the ratchet table.
    static let ratchetRuns = 10
    /// Rows in the queue and regressions tables.
    static let rowLimit = 20

    /// `text` made safe for one GitHub table cell: it cannot end the cell, the row, or start markup.
    ///
    /// `|` would end the cell and a newline the row, so `|` becomes `\|` and a line break `<br>`.
    /// Backslash comes first, or `a\|b` would turn into `a\\|b` and split anyway. The other
    /// escaped characters would otherwise turn case keys such as `*_golden_*` or `<tag>` into
    /// emphasis or HTML.
    static func cell(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "\r\n", "\n", "\r": out += "<br>"
            case "\\", "|", "`", "*", "_", "[", "]", "<", ">", "~", "&": out += "\\" + String(character)
            default: out.append(character)
            }
        }
        return out
    }

    /// One table row from cells that are already escaped.
    static func row(_ cells: [String]) -> String {
        "| " + cells.joined(separator: " | ") + " |\n"
    }

    /// The line after a table cut at ``rowLimit``; empty when nothing was cut.
    static func more(_ total: Int) -> String {
        total > rowLimit ? "and \(total - rowLimit) more\n\n" : ""
    }
}
