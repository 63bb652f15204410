import Events
import SystemIO

/// TAP, the Test Anything Protocol (versions 12 to 14), read a line at a time.
///
/// Each leaf test point is a case: `ok` passes, `not ok` fails, `# SKIP` skips, and a failing
/// `# TODO` is not a failure (recorded as skipped, with the reason). A case's key is the
/// point's description (a trailing duration such as Criterion's `(0.01s)` is read as the
/// duration, not kept in the key), `point N` without one; a subtest's points (indented four
/// spaces, TAP 14, node's and node-tap's forms) are keyed `parent > child`, and the parent
/// point, which sums them, is not a case of its own. YAML diagnostics (`message`, `expected`,
/// `actual`, `at`, ...) and free-text lines after a point are its evidence; other text
/// (a coverage table after the last point) is ignored, as TAP says. The plan may come first or
/// last; a missing or wrong plan is named in the ingest's output. `Bail out!` records the run
/// as aborted there, and each planned point that never ran as an error.
struct TAPReportParser {
    let name: String

    static let maximumLineLength = 1 << 20

    /// Whether text (a file's first lines) has a TAP version line, a plan or a test point
    /// at the start of a line.
    static func looksLikeTAP(_ text: String) -> Bool {
        text.split(separator: "\n").prefix(200).contains { (line: Substring) -> Bool in
            let body = line.drop { $0 == " " }
            return body.hasPrefix("TAP version ") || planCount(body) != nil || body.hasPrefix("ok ") || body == "ok" || body.hasPrefix("not ok")
        }
    }

    /// N of a plan line `1..N` (with an optional `# skip` reason after it).
    static func planCount(_ body: Substring) -> Int? {
        // By hand, as every line that is not a point asks: a regex literal is parsed each time
        // it is evaluated.
        guard body.hasPrefix("1..") else { return nil }
        let digits = body.dropFirst(3).prefix { $0.isASCII && $0.isNumber }
        return digits.isEmpty ? nil : Int(digits)
    }

    /// A point read, waiting for its diagnostics.
    private struct Point {
        var level: Int
        var outcome: CaseOutcome
        var yaml: [String] = []
        var text = EvidenceBuffer()
        var inYAML = false
        /// The YAML block's indentation, once it opened.
        var yamlIndent = 0
    }

    func parse(_ reader: LineReader, _ sink: (CaseOutcome) throws -> Void) throws -> ReportFacts {
        var facts = ReportFacts(format: .tap)
        facts.producer = "TAP"
        var seen = SeenKeys()
        var plan: Int?
        var topLevelPoints = 0
        var sawTAP = false
        var bailedOut: String?
        var current: Point?
        /// Leaf cases of subtests, per level, waiting for their parent point (which names them).
        var pending: [Int: [CaseOutcome]] = [:]

        func finish(_ point: Point) throws {
            var outcome = point.outcome
            let diagnostics = TAPDiagnostics(point.yaml)
            outcome.durationMilliseconds = outcome.durationMilliseconds ?? diagnostics.durationMilliseconds
            if outcome.status != .pass {
                // A SKIP or TODO keeps its directive's reason as its message.
                outcome.message = CaseOutcome.bounded(outcome.message ?? diagnostics.message ?? point.text.evidence?.text)
                outcome.expected = CaseOutcome.Evidence(diagnostics.expected)
                outcome.actual = CaseOutcome.Evidence(diagnostics.actual)
                outcome.output = point.text.evidence ?? CaseOutcome.Evidence(point.yaml.joined(separator: "\n"))
                if let at = diagnostics.at { outcome.properties["at"] = CaseOutcome.bounded(at, to: CaseOutcome.maximumPropertyLength) }
            }
            // A point after deeper points is their parent: they are its cases, keyed under it.
            if let children = pending.removeValue(forKey: point.level + 1), !children.isEmpty {
                for child in children {
                    var keyed = child
                    keyed.key = CaseOutcome.caseKey(outcome.key + " > " + child.key)
                    if point.level == 0 { try emit(keyed) } else { pending[point.level, default: []].append(keyed) }
                }
                return
            }
            if point.level == 0 { try emit(outcome) } else { pending[point.level, default: []].append(outcome) }
        }

        func emit(_ outcome: CaseOutcome) throws {
            facts.counts.tests += 1
            if outcome.status == .fail { facts.counts.failures += 1 }
            if outcome.status == .error { facts.counts.errors += 1 }
            if outcome.status == .skip && outcome.properties["directive"] == "SKIP" { facts.counts.skipped += 1 }
            try seen.insert(outcome.key)
            try sink(outcome)
        }

        while let raw = try reader.nextReportLine() {
            guard let line = String(validating: raw, as: UTF8.self) else {
                throw IngestError(.malformed, "\(name): line \(reader.lineNumber): not UTF-8")
            }
            let indent = line.prefix { $0 == " " }.count
            let body = line.dropFirst(indent)
            // Inside a YAML block: everything up to its `...` belongs to it.
            if var point = current, point.inYAML {
                if indent == point.yamlIndent && body.hasPrefix("...") {
                    point.inYAML = false
                } else if point.yaml.count < 200 {
                    point.yaml.append(String(line.dropFirst(min(indent, point.yamlIndent))))
                }
                current = point
                continue
            }
            let level = indent / 4
            if body.hasPrefix("ok") || body.hasPrefix("not ok") {
                guard let parsed = TAPPoint(body) else { continue }
                sawTAP = true
                if let point = current { try finish(point) }
                current = Point(level: level, outcome: parsed.outcome)
                if level == 0 { topLevelPoints += 1 }
                continue
            }
            if body.hasPrefix("---"), var point = current, indent >= point.level * 4 + 2, point.yaml.isEmpty {
                point.inYAML = true
                point.yamlIndent = indent
                current = point
                continue
            }
            if let count = Self.planCount(body) {
                sawTAP = true
                if level == 0 { plan = count }
                continue
            }
            if body.hasPrefix("Bail out!") {
                sawTAP = true
                bailedOut = String(body.dropFirst("Bail out!".count)).trimmingCharacters()
                break
            }
            if body.hasPrefix("TAP version") || body.hasPrefix("#") || body.hasPrefix("pragma") {
                if body.hasPrefix("TAP version") { sawTAP = true }
                continue
            }
            // Free text: a diagnostic of the point before it when indented under it, else ignored.
            if var point = current, indent > point.level * 4, point.outcome.status != .pass {
                point.text.append(String(body) + "\n")
                current = point
            }
        }
        if let point = current { try finish(point) }
        // Subtest points never closed by a parent point count as they are.
        for level in pending.keys.sorted(by: >) {
            for outcome in pending[level]! { try emit(outcome) }
        }
        guard sawTAP else {
            throw IngestError(.notAReport, "\(name): no TAP plan or test points found")
        }
        var notes: [String] = []
        if let bailedOut {
            notes.append("aborted: Bail out!\(bailedOut.isEmpty ? "" : " " + bailedOut)")
            for number in (topLevelPoints + 1)...max(topLevelPoints + 1, plan ?? 0) where plan.map({ number <= $0 }) ?? false {
                var missing = CaseOutcome(key: "point \(number)", status: .error)
                missing.message = "not run: the TAP stream bailed out before it" + (bailedOut.isEmpty ? "" : " (\(bailedOut))")
                try emit(missing)
            }
        } else if let plan, plan != topLevelPoints {
            notes.append("the plan says 1..\(plan) but \(topLevelPoints) points ran")
        }
        if plan == nil { notes.append("the TAP stream has no plan") }
        if !notes.isEmpty { facts.declaredMismatch = notes.joined(separator: "; ") }
        facts.counts.duplicates += try seen.duplicates()
        return facts
    }
}

/// One `ok` / `not ok` line: its number, description and directive.
struct TAPPoint {
    var outcome: CaseOutcome
    var number: Int?

    /// A trailing duration, `(0.01s)` or `(12ms)` with the spaces before it: the text without
    /// it, and the duration in milliseconds. Read by hand: a regex literal is parsed again
    /// each time it is evaluated (half of a large report's reading time, once per point).
    static func trailingDuration(_ text: String) -> (text: String, milliseconds: Int)? {
        let bytes = Array(text.utf8)
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        guard bytes.last == UInt8(ascii: ")") else { return nil }
        var end = bytes.count - 1
        let inMilliseconds = end >= 2 && bytes[end - 2] == UInt8(ascii: "m") && bytes[end - 1] == UInt8(ascii: "s")
        guard inMilliseconds || (end >= 1 && bytes[end - 1] == UInt8(ascii: "s")) else { return nil }
        end -= inMilliseconds ? 2 : 1
        // Digits, then optionally a point and more digits.
        var start = end
        while start > 0 && isDigit(bytes[start - 1]) { start -= 1 }
        if start < end, start > 1, bytes[start - 1] == UInt8(ascii: "."), isDigit(bytes[start - 2]) {
            start -= 1
            while start > 0 && isDigit(bytes[start - 1]) { start -= 1 }
        }
        guard start < end, isDigit(bytes[start]), start > 0, bytes[start - 1] == UInt8(ascii: "("),
              let value = Double(String(decoding: bytes[start..<end], as: UTF8.self)) else { return nil }
        var cut = start - 1
        while cut > 0 && (bytes[cut - 1] == UInt8(ascii: " ") || bytes[cut - 1] == UInt8(ascii: "\t")) { cut -= 1 }
        return (String(decoding: bytes[..<cut], as: UTF8.self), Int((inMilliseconds ? value : value * 1000).rounded()))
    }

    init?(_ line: Substring) {
        var rest: Substring
        let passed: Bool
        if line.hasPrefix("not ok") { passed = false; rest = line.dropFirst(6) } else { passed = true; rest = line.dropFirst(2) }
        guard rest.isEmpty || rest.first == " " else { return nil }
        rest = rest.drop { $0 == " " }
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        number = Int(digits)
        rest = rest.dropFirst(digits.count).drop { $0 == " " }
        if rest.hasPrefix("-") { rest = rest.dropFirst().drop { $0 == " " } }
        // The directive: the first unescaped `#` followed by SKIP or TODO.
        var description = rest
        var directive: (word: String, reason: String)?
        var index = rest.startIndex
        while let hash = rest[index...].firstIndex(of: "#") {
            if hash > rest.startIndex && rest[rest.index(before: hash)] == "\\" {
                index = rest.index(after: hash)
                continue
            }
            let after = rest[rest.index(after: hash)...].drop { $0 == " " }
            let word = after.prefix(4).uppercased()
            if word == "SKIP" || word == "TODO" {
                description = rest[..<hash]
                let reason = after.drop { !$0.isWhitespace }.trimmingCharacters()
                directive = (word, reason.hasPrefix("-") ? String(reason.dropFirst()).trimmingCharacters() : reason)
            }
            break
        }
        var text = description.trimmingCharacters().replacing("\\#", with: "#")
        var duration: Int?
        if let trailing = Self.trailingDuration(text) {
            duration = trailing.milliseconds
            text = trailing.text
        }
        let key = CaseOutcome.caseKey(CaseOutcome.name(text, or: "point \(number.map(String.init) ?? "?")"))
        let status: CaseOutcome.Status
        switch (passed, directive?.word) {
        case (_, "SKIP"): status = .skip
        case (false, "TODO"): status = .skip
        case (true, _): status = .pass
        case (false, _): status = .fail
        }
        outcome = CaseOutcome(key: key, status: status)
        outcome.durationMilliseconds = duration
        if let directive {
            outcome.properties["directive"] = directive.word
            if status == .skip { outcome.message = CaseOutcome.bounded("\(directive.word)\(directive.reason.isEmpty ? "" : ": " + directive.reason)") }
        }
    }
}

/// The fields of a TAP YAML diagnostics block remedy reads: `message`, `expected`, `actual`,
/// `at` (or `location`, `stack`), node's `error` and `duration_ms`, each a scalar or a `|`/`>`
/// block, at the block's top level.
struct TAPDiagnostics {
    var message: String?
    var expected: String?
    var actual: String?
    var at: String?
    var durationMilliseconds: Int?

    init(_ lines: [String]) {
        var index = 0
        while index < lines.count {
            let line = lines[index]
            index += 1
            guard !line.hasPrefix(" "), let colon = line.firstIndex(of: ":") else { continue }
            let key = String(line[..<colon]).trimmingCharacters()
            var value = String(line[line.index(after: colon)...]).trimmingCharacters()
            if value.hasPrefix("|") || value.hasPrefix(">") || value.isEmpty {
                var block: [String] = []
                while index < lines.count, lines[index].hasPrefix(" ") || lines[index].isEmpty {
                    block.append(lines[index].trimmingCharacters())
                    index += 1
                }
                value = block.joined(separator: value.hasPrefix(">") ? " " : "\n")
            } else if value.count >= 2, let first = value.first, first == "'" || first == "\"", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            switch key {
            case "message": message = value
            case "error": message = message ?? value   // node's test runner
            case "expected", "wanted": expected = value
            case "actual", "found": actual = value
            case "at", "location", "stack": at = at ?? value
            case "duration_ms": durationMilliseconds = CaseOutcome.milliseconds(Double(value))
            default: break
            }
        }
    }
}
