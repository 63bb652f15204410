import ReadViews
/// One suite's ratchet history as an inline SVG chart: guards total, held and high-water on the
/// left axis, pass rate (0...1) on the right axis, slips marked in red.
///
/// The report must open offline and pass a strict Content-Security-Policy, so the chart is
/// drawn as plain SVG markup with no script. Long histories are downsampled (see ``sample``)
/// to keep the page small; the x axis keeps each run's true place in the history.
struct RatchetChart {
    /// At most this many runs are drawn; beyond it the page grows without showing more.
    static let maxPoints = 400

    let index: Int
    let suite: String
    let points: [LoopReport.RatchetPoint]

    // The drawing area, in viewBox units. Four count ticks line up with 0/25/50/75/100%.
    private let width = 960.0, height = 320.0
    private let left = 56.0, right = 64.0, top = 44.0, bottom = 48.0
    private var plotWidth: Double { width - left - right }
    private var plotHeight: Double { height - top - bottom }

    /// The indices of the runs to draw: all of them, or at most ``maxPoints`` including the last.
    ///
    /// Each bucket of consecutive runs keeps the run with the most slips (the latest on a tie),
    /// so a regression never disappears from the chart because its neighbours were calm.
    static func sample(_ points: [LoopReport.RatchetPoint], limit: Int = maxPoints) -> [Int] {
        let count = points.count
        guard count > limit, limit >= 2 else { return Array(points.indices) }
        let buckets = limit - 1, head = count - 1
        var picked: [Int] = []
        picked.reserveCapacity(limit)
        for bucket in 0..<buckets {
            let start = bucket * head / buckets, end = (bucket + 1) * head / buckets
            guard start < end else { continue }
            var best = start
            for at in start..<end where points[at].slips >= points[best].slips { best = at }
            picked.append(best)
        }
        picked.append(head)
        return picked
    }

    /// The `<svg>` element, or `nil` when the suite has no runs.
    var svg: String? {
        guard let last = points.last else { return nil }
        let drawn = Self.sample(points)
        let axisMax = Self.countAxisMax(points.reduce(1) { max($0, $1.guardsTotal, $1.guardsHeld, $1.highWater) })
        var out = "<svg id=\"ratchet-chart-\(index)\" class=\"ratchet-chart\" role=\"img\" viewBox=\"0 0 960 320\""
        out += " xmlns=\"http://www.w3.org/2000/svg\" aria-label=\"\(HTMLText.escape(label(last: last, drawn: drawn.count)))\">\n"
        out += legend
        out += axes(axisMax: axisMax)
        out += line("high-water", drawn.map { (x($0), yCount(points[$0].highWater, axisMax)) })
        out += line("total", drawn.map { (x($0), yCount(points[$0].guardsTotal, axisMax)) })
        out += rateLine(drawn)
        out += line("held", drawn.map { (x($0), yCount(points[$0].guardsHeld, axisMax)) })
        out += markers(drawn, axisMax: axisMax)
        out += "</svg>\n"
        return out
    }

    /// The chart's text alternative: what a screen reader announces instead of the drawing.
    private func label(last: LoopReport.RatchetPoint, drawn: Int) -> String {
        var text = "Ratchet history of suite \(suite): \(points.count) run\(points.count == 1 ? "" : "s")"
        if drawn < points.count { text += " (\(drawn) drawn)" }
        text += "; latest run \(last.runID) held \(last.guardsHeld) of \(last.guardsTotal) guards"
        text += ", pass rate \(ReportNumbers.percent(last.passRate) ?? "n/a"), high-water \(last.highWater)"
        return text
    }

    /// The left axis's top: the smallest 4 × (1, 2 or 5 × 10ⁿ) at or above `maximum`.
    static func countAxisMax(_ maximum: Int) -> Int {
        let quarter = (max(maximum, 1) + 3) / 4
        var decade = 1
        while true {
            for step in [decade, 2 * decade, 5 * decade] where step >= quarter { return step * 4 }
            decade *= 10
        }
    }

    private func x(_ at: Int) -> Double {
        points.count == 1 ? left + plotWidth / 2 : left + plotWidth * Double(at) / Double(points.count - 1)
    }

    private func yCount(_ value: Int, _ axisMax: Int) -> Double {
        top + plotHeight * (1 - Double(min(max(value, 0), axisMax)) / Double(axisMax))
    }

    private func yRate(_ rate: Double) -> Double { top + plotHeight * (1 - rate) }

    private func coord(_ value: Double) -> String { ReportNumbers.fixed(value, digits: 1) }

    private var legend: String {
        let entries = [("total", "guards total"), ("held", "guards held"), ("high-water", "high-water"),
                       ("rate", "pass rate (right axis)")]
        var out = "<g class=\"legend\">"
        var at = left
        for (kind, text) in entries {
            out += "<line class=\"series-\(kind)\" x1=\"\(coord(at))\" y1=\"14\" x2=\"\(coord(at + 22))\" y2=\"14\"/>"
            out += "<text x=\"\(coord(at + 28))\" y=\"18\">\(text)</text>"
            at += 28 + Double(text.count) * 7 + 20
        }
        out += "<circle class=\"slip\" cx=\"\(coord(at + 6))\" cy=\"14\" r=\"4\"/><text x=\"\(coord(at + 16))\" y=\"18\">slips</text>"
        return out + "</g>\n"
    }

    private func axes(axisMax: Int) -> String {
        let bottomY = top + plotHeight
        var out = "<g class=\"axes\">"
        for tick in 0...4 {
            let y = coord(top + plotHeight * (1 - Double(tick) / 4))
            out += "<line class=\"grid\" x1=\"\(coord(left))\" y1=\"\(y)\" x2=\"\(coord(left + plotWidth))\" y2=\"\(y)\"/>"
            out += "<text class=\"tick\" x=\"\(coord(left - 6))\" y=\"\(y)\" dy=\"4\" text-anchor=\"end\">\(axisMax / 4 * tick)</text>"
            out += "<text class=\"tick\" x=\"\(coord(left + plotWidth + 6))\" y=\"\(y)\" dy=\"4\">\(tick * 25)%</text>"
        }
        out += "<line class=\"axis\" x1=\"\(coord(left))\" y1=\"\(coord(bottomY))\" x2=\"\(coord(left + plotWidth))\" y2=\"\(coord(bottomY))\"/>"
        for at in xTickIndices() {
            let anchor = points.count == 1 ? "middle" : at == 0 ? "start" : at == points.count - 1 ? "end" : "middle"
            out += "<text class=\"tick\" x=\"\(coord(x(at)))\" y=\"\(coord(bottomY + 16))\" text-anchor=\"\(anchor)\">"
            out += HTMLText.escape(HTMLText.shortened(points[at].runID, to: 12)) + "</text>"
        }
        out += "<text class=\"axis-title\" x=\"\(coord(left + plotWidth / 2))\" y=\"\(coord(height - 8))\" text-anchor=\"middle\">run</text>"
        out += "<text class=\"axis-title\" transform=\"translate(14 \(coord(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">guards</text>"
        out += "<text class=\"axis-title\" transform=\"translate(\(coord(width - 8)) \(coord(top + plotHeight / 2))) rotate(90)\" text-anchor=\"middle\">pass rate</text>"
        return out + "</g>\n"
    }

    /// Up to six evenly spaced runs to label on the x axis, always the first and the last.
    private func xTickIndices() -> [Int] {
        let count = points.count
        guard count > 6 else { return Array(0..<count) }
        return (0...5).map { $0 * (count - 1) / 5 }
    }

    private func line(_ kind: String, _ vertices: [(Double, Double)]) -> String {
        "<path class=\"series-\(kind)\" d=\"\(pathData([vertices]))\"/>\n"
    }

    /// The pass-rate line, broken where a run ran nothing rather than drawn through a made-up value.
    private func rateLine(_ drawn: [Int]) -> String {
        var segments: [[(Double, Double)]] = [[]]
        for at in drawn {
            if let rate = ReportNumbers.rate(points[at].passRate) {
                segments[segments.count - 1].append((x(at), yRate(rate)))
            } else if !segments[segments.count - 1].isEmpty {
                segments.append([])
            }
        }
        return "<path class=\"series-rate\" d=\"\(pathData(segments))\"/>\n"
    }

    /// SVG path data; a lone vertex becomes a short tick so that a single run still shows.
    private func pathData(_ segments: [[(Double, Double)]]) -> String {
        var parts: [String] = []
        for segment in segments where !segment.isEmpty {
            parts.append("M" + segment.map { "\(coord($0.0)) \(coord($0.1))" }.joined(separator: "L"))
            if segment.count == 1 { parts.append("h0.1") }
        }
        return parts.joined()
    }

    /// A point per drawn run on the held line and the rate line, each with a `<title>` tooltip.
    private func markers(_ drawn: [Int], axisMax: Int) -> String {
        let radius = drawn.count > 100 ? "2" : "3.5"
        var out = "<g class=\"points\">\n"
        for at in drawn {
            let point = points[at]
            let kind = point.slips > 0 ? "slip" : "point-held"
            out += "<circle class=\"\(kind)\" cx=\"\(coord(x(at)))\" cy=\"\(coord(yCount(point.guardsHeld, axisMax)))\" r=\"\(point.slips > 0 ? "4" : radius)\">"
            out += "<title>\(HTMLText.escape(tooltip(point)))</title></circle>"
            if let rate = ReportNumbers.rate(point.passRate) {
                out += "<circle class=\"point-rate\" cx=\"\(coord(x(at)))\" cy=\"\(coord(yRate(rate)))\" r=\"\(radius)\">"
                out += "<title>\(HTMLText.escape("run \(point.runID): pass rate \(ReportNumbers.percent(point.passRate) ?? "")"))</title></circle>"
            }
            out += "\n"
        }
        return out + "</g>\n"
    }

    private func tooltip(_ point: LoopReport.RatchetPoint) -> String {
        "run \(point.runID) (ledger position \(point.position)): held \(point.guardsHeld) of \(point.guardsTotal) guards, "
            + "\(point.slips) slip\(point.slips == 1 ? "" : "s"), pass rate \(ReportNumbers.percent(point.passRate) ?? "n/a (nothing ran)"), "
            + "high-water \(point.highWater)"
    }
}
