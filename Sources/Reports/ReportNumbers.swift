import ReadViews
/// Number formatting for the report renderers, with the standard library only.
///
/// `String(format:)` needs Foundation, and `Double.description` switches to exponent notation
/// for small values (`1e-05`), which SVG and readers both handle badly. Rounding to a fixed
/// number of digits through integers gives the same text on every platform.
enum ReportNumbers {
    /// `value` with exactly `digits` decimals, rounded half away from zero: `fixed(0.125, digits: 2)` is `"0.13"`.
    ///
    /// Non-finite or huge values (beyond what an `Int` holds after scaling) give `"0"`: the
    /// renderers only pass coordinates and rates, so this never hides a real number.
    static func fixed(_ value: Double, digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<max(digits, 0) { scale *= 10 }
        let scaled = (value * scale).rounded()
        guard scaled.isFinite, scaled.magnitude < 1e15 else { return "0" }
        let units = Int(scaled)
        let divisor = UInt(scale)
        let whole = units.magnitude / divisor
        let fraction = units.magnitude % divisor
        var text = units < 0 ? "-" : ""
        text += String(whole)
        if digits > 0 {
            let tail = String(fraction)
            text += "." + String(repeating: "0", count: digits - tail.count) + tail
        }
        return text
    }

    /// A pass rate string (`"0.8000"`) as a fraction in 0...1, or `nil` when nothing ran.
    ///
    /// Out-of-range values are clamped so that a bad input cannot draw outside the chart.
    static func rate(_ passRate: String?) -> Double? {
        guard let value = passRate.flatMap(Double.init), value.isFinite else { return nil }
        return min(max(value, 0), 1)
    }

    /// A pass rate string as a percentage with two decimals (`"0.8000"` is `"80.00%"`).
    ///
    /// Two decimals keep four-digit rates exact, so `0.9995` reads `99.95%`, never a
    /// misleading `100%`. Returns `nil` when nothing ran.
    static func percent(_ passRate: String?) -> String? {
        rate(passRate).map { fixed($0 * 100, digits: 2) + "%" }
    }
}
