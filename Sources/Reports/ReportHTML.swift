import Events
import Projections
import ReadViews

extension LoopReport {
    /// The report as one self-contained HTML5 page: inline CSS, inline SVG charts, a tiny inline script.
    ///
    /// The page is meant to travel as a CI artifact and be opened from disk, so it loads
    /// nothing: its Content-Security-Policy forbids every fetch, and a browser shows it the
    /// same offline. Every string from the ledger passes through ``HTMLText/escape(_:)``.
    ///
    /// The closing script leaves two marks on `<body>` for headless tests: `data-errors` collects
    /// script errors, and `data-rendered` is `"ok"` when every suite's chart has a line
    /// (`"missing-chart"` otherwise).
    public var html: String {
        var page = ReportHTML.head(title: title)
        page += headerSection
        page += ratchetSection
        page += skillsSection
        page += queueSection
        page += regressionsSection
        page += "<footer class=\"meta\">Rendered from the remedy ledger. This page makes no network requests.</footer>\n"
        page += ReportHTML.script
        page += "</body>\n</html>\n"
        return page
    }

    private var headerSection: String {
        var out = "<header>\n<h1>\(HTMLText.escape(title))</h1>\n<p class=\"meta\">As of ledger position <strong>\(ledgerPosition)</strong>"
        if let time = lastRecordedAt {
            let escaped = HTMLText.escape(time)
            out += ", last event recorded <time datetime=\"\(escaped)\">\(escaped)</time>"
        } else {
            out += ", no events recorded yet"
        }
        return out + ".</p>\n</header>\n"
    }

    private var ratchetSection: String {
        let suites = ratchetBySuite
        var out = "<section id=\"ratchet\" data-suites=\"\(suites.count)\">\n<h2>Ratchet history</h2>\n"
        if suites.isEmpty { out += "<p class=\"empty\">No runs recorded yet.</p>\n" }
        for (index, group) in suites.enumerated() {
            let chart = RatchetChart(index: index, suite: group.suite, points: group.points)
            out += "<figure>\n<figcaption><h3>Suite <code>\(HTMLText.escape(group.suite))</code></h3>"
            out += HTMLText.escape(Self.ratchetCaption(group.points)) + "</figcaption>\n"
            out += chart.svg ?? ""
            out += "</figure>\n"
        }
        return out + "</section>\n"
    }

    /// The line under a suite's heading: the latest run in words, for readers who skip the chart.
    private static func ratchetCaption(_ points: [RatchetPoint]) -> String {
        guard let last = points.last else { return "" }
        let drawn = RatchetChart.sample(points).count
        var text = "\(points.count) run\(points.count == 1 ? "" : "s")"
        if drawn < points.count { text += " (\(drawn) drawn, always the latest)" }
        text += " · latest run \(last.runID): \(last.guardsHeld) of \(last.guardsTotal) guards held, "
        text += "\(last.slips) slip\(last.slips == 1 ? "" : "s"), pass rate \(ReportNumbers.percent(last.passRate) ?? "n/a")"
        return text + " · high-water \(last.highWater)"
    }

    private var skillsSection: String {
        var out = "<section id=\"skills\">\n<h2>Skill health</h2>\n"
        guard !skills.isEmpty else { return out + "<p class=\"empty\">No skills mapped yet.</p>\n</section>\n" }
        out += "<table>\n<thead><tr><th>Skill</th><th>Status</th><th>Pass rate</th><th>Trend</th><th class=\"num\">Cases</th>"
        out += "<th class=\"num\">Open failures</th><th class=\"num\">Guards</th><th class=\"num\">Regressions</th><th>Rule</th></tr></thead>\n<tbody>\n"
        for skill in skills {
            let status = ReportHTML.statusClass(skill.status)
            out += "<tr><td><code>\(HTMLText.escape(skill.skill))</code></td>"
            out += "<td><span class=\"status \(status)\">\(HTMLText.escape(skill.status.rawValue))</span></td>"
            out += "<td>\(ReportHTML.passRateBar(skill.row.passRate, statusClass: status))</td>"
            out += "<td>\(ReportHTML.trend(skill.row.trend))</td>"
            out += "<td class=\"num\">\(skill.row.cases)</td><td class=\"num\">\(skill.row.openFailures)</td>"
            out += "<td class=\"num\">\(skill.row.guards)</td><td class=\"num\">\(skill.row.regressions)</td>"
            out += "<td>\(HTMLText.escape(skill.rule))</td></tr>\n"
        }
        return out + "</tbody>\n</table>\n</section>\n"
    }

    private var queueSection: String {
        var out = "<section id=\"queue\">\n<h2>Queue</h2>\n"
        guard !queue.isEmpty else { return out + "<p class=\"empty\">Nothing to do: the queue is empty.</p>\n</section>\n" }
        out += "<table>\n<thead><tr><th>Action</th><th>Subject</th><th>Detail</th><th class=\"num\">Age (runs)</th>"
        out += "<th class=\"num\">Age</th></tr></thead>\n<tbody>\n"
        for item in queue {
            out += "<tr><td>\(HTMLText.escape(item.kind.rawValue))</td><td><code>\(HTMLText.escape(item.subject))</code></td>"
            out += "<td>\(HTMLText.escape(item.action))</td><td class=\"num\">\(item.ageRuns)</td>"
            out += "<td class=\"num\">\(HTMLText.escape(humanDuration(milliseconds: item.ageMilliseconds)))</td></tr>\n"
        }
        return out + "</tbody>\n</table>\n</section>\n"
    }

    private var regressionsSection: String {
        var out = "<section id=\"regressions\">\n<h2>Latest regressions</h2>\n"
        guard !regressions.isEmpty else { return out + "<p class=\"empty\">No regressions recorded.</p>\n</section>\n" }
        out += "<table>\n<thead><tr><th>Suite</th><th>Case</th><th>Last good</th><th>First bad</th></tr></thead>\n<tbody>\n"
        for regression in regressions.prefix(ReportHTML.regressionLimit) {
            out += "<tr><td><code>\(HTMLText.escape(regression.suite))</code></td><td><code>\(HTMLText.escape(regression.case))</code></td>"
            out += "<td>\(ReportHTML.runCell(regression.lastGoodRun, regression.lastGoodCommit))</td>"
            out += "<td>\(ReportHTML.runCell(regression.firstBadRun, regression.firstBadCommit))</td></tr>\n"
        }
        out += "</tbody>\n</table>\n"
        if regressions.count > ReportHTML.regressionLimit {
            out += "<p class=\"more\">and \(regressions.count - ReportHTML.regressionLimit) more</p>\n"
        }
        return out + "</section>\n"
    }
}

/// Escaping and shortening of ledger text for the report page.
enum HTMLText {
    /// `text` with `& < > " '` replaced by character references: safe in element content and in
    /// quoted attribute values alike, so callers need not know where the text lands.
    static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out.append(contentsOf: "&amp;".unicodeScalars)
            case "<": out.append(contentsOf: "&lt;".unicodeScalars)
            case ">": out.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": out.append(contentsOf: "&quot;".unicodeScalars)
            case "'": out.append(contentsOf: "&#39;".unicodeScalars)
            default: out.append(scalar)
            }
        }
        return String(out)
    }

    /// `text` cut to `limit` characters with an ellipsis, for run ids and commits in narrow places.
    ///
    /// Callers keep the whole text nearby (a tooltip, a table) so that nothing is lost.
    static func shortened(_ text: String, to limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(max(limit - 1, 0))) + "…"
    }
}

/// The fixed parts of the report page and the cells that need more than escaping.
enum ReportHTML {
    /// The regressions table stops here; a page is a summary, `remedy regressions` lists them all.
    static let regressionLimit = 20

    /// The status as a CSS class; an unknown status gets a neutral colour rather than a guessed one.
    static func statusClass(_ status: HealthStatus) -> String {
        "status-\(status.rawValue)"
    }

    static func passRateBar(_ passRate: String?, statusClass: String) -> String {
        guard let rate = ReportNumbers.rate(passRate), let percent = ReportNumbers.percent(passRate) else {
            return "<span class=\"muted\">no runs</span>"
        }
        return "<svg class=\"bar\" viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\" aria-hidden=\"true\">"
            + "<rect class=\"bar-track\" width=\"100\" height=\"10\"/>"
            + "<rect class=\"bar-fill \(statusClass)\" width=\"\(ReportNumbers.fixed(rate * 100, digits: 2))\" height=\"10\"/></svg> "
            + percent
    }

    static func trend(_ trend: SkillHealthRow.Trend?) -> String {
        switch trend {
        case .up: "↑ up"
        case .down: "↓ down"
        case .flat: "→ flat"
        case nil: "<span class=\"muted\">—</span>"
        }
    }

    /// A run and its commit; the commit is shortened for the table and kept whole in the tooltip.
    static func runCell(_ run: String?, _ commit: String?) -> String {
        guard let run else { return "<span class=\"muted\">none recorded</span>" }
        var out = "run <code>\(HTMLText.escape(run))</code>"
        if let commit {
            out += " at <code title=\"\(HTMLText.escape(commit))\">\(HTMLText.escape(HTMLText.shortened(commit, to: 12)))</code>"
        }
        return out
    }

    static func head(title: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTMLText.escape(title))</title>
        <style>\(style)</style>
        </head>
        <body>

        """
    }

    static let style = """

        :root{color-scheme:light;--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--healthy:#16a34a;--degraded:#d97706;--failing:#dc2626;--neutral:#64748b;--rate:#7c3aed}
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);margin:0 auto;max-width:1040px;padding:24px}
        h1{font-size:1.6em;margin:0 0 4px}
        h2{font-size:1.25em;margin:32px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
        h3{font-size:1em;margin:16px 0 2px;color:var(--fg)}
        .meta,.empty,.more,.muted,figcaption{color:var(--muted)}
        table{border-collapse:collapse;width:100%}
        th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
        th{font-weight:600}
        .num{text-align:right;font-variant-numeric:tabular-nums}
        code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;overflow-wrap:anywhere}
        figure{margin:0 0 24px}
        .ratchet-chart{display:block;width:100%;max-width:960px;height:auto;margin-top:6px}
        .ratchet-chart text{font-size:11px;fill:var(--muted)}
        .ratchet-chart .legend text{fill:var(--fg)}
        .ratchet-chart .axis-title{font-size:12px}
        .grid{stroke:var(--line)}
        .axis{stroke:var(--muted)}
        .ratchet-chart path,.ratchet-chart line.series-total,.ratchet-chart line.series-held,.ratchet-chart line.series-high-water,.ratchet-chart line.series-rate{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
        .ratchet-chart .series-total{stroke:var(--neutral)}
        .ratchet-chart .series-held{stroke:var(--healthy);stroke-width:2.75}
        .ratchet-chart .series-high-water{stroke:#94a3b8;stroke-dasharray:4 3}
        .ratchet-chart .series-rate{stroke:var(--rate);stroke-dasharray:6 3}
        .point-held{fill:var(--healthy)}
        .point-rate{fill:var(--rate)}
        .slip{fill:var(--failing)}
        .bar{width:160px;height:10px;vertical-align:middle}
        .bar-track{fill:var(--line)}
        .bar-fill.status-healthy{fill:var(--healthy)}
        .bar-fill.status-degraded{fill:var(--degraded)}
        .bar-fill.status-failing{fill:var(--failing)}
        .bar-fill.status-unknown{fill:var(--neutral)}
        .status{font-weight:600}
        .status.status-healthy{color:var(--healthy)}
        .status.status-degraded{color:var(--degraded)}
        .status.status-failing{color:var(--failing)}
        .status.status-unknown{color:var(--neutral)}
        footer{margin-top:32px}

        """

    /// Records script errors and whether every chart drew, for headless browser tests to read.
    static let script = """
        <script>
        window.onerror = function (message, source, line, column) {
          var body = document.body, entry = String(message) + " at " + line + ":" + column;
          body.dataset.errors = body.dataset.errors ? body.dataset.errors + "\\n" + entry : entry;
          return false;
        };
        window.addEventListener("load", function () {
          var section = document.getElementById("ratchet");
          var expected = Number(section ? section.dataset.suites : 0);
          var charts = document.querySelectorAll(".ratchet-chart"), drawn = 0;
          for (var i = 0; i < charts.length; i++) {
            if (charts[i].querySelector("path, polyline")) { drawn++; }
          }
          document.body.dataset.rendered = charts.length === expected && drawn === expected ? "ok" : "missing-chart";
        });
        </script>

        """
}
