import Events

/// One event's fold into the skill-health tables: reads go through the writes made so far for
/// this event, so several changes to one skill's row add up.
struct HealthFold {
    typealias P = SkillHealthProjection
    typealias H = SkillHealthProjection.H

    private var changes: EventWrites
    var writes: [RowWrite] { changes.writes }

    init(rows: RowReader) {
        changes = EventWrites(rows)
    }

    mutating func apply(_ event: ProjectedEvent) throws {
        switch LoopEventType(rawValue: event.type) {
        case .evalRunStarted:
            let started = try event.decode(EvalRunStarted.self)
            put(P.runs, [.text(event.stream), .text(started.suite), .text(started.runID), started.verifies.map { .text($0) } ?? .null, .text("")])
        case .evalRunCompleted:
            try completed(event)
        case .failureDetected:
            let detected = try event.decode(FailureDetected.self)
            let skill = detected.skill ?? P.unmapped
            put(P.failures, [.text(detected.failure), .text(skill), .text(detected.kind), .text(event.recordedAt),
                             .integer(event.position), .null, .null, .integer(1)])
            let regression = detected.kind == "regression" ? 1 : 0
            try skillRow(skill) { row in
                Self.add(&row, .failures, 1)
                Self.add(&row, .openFailures, 1)
                Self.add(&row, .regressions, regression)
                Self.add(&row, .openRegressions, regression)
            }
        case .diagnosisRecorded:
            let diagnosis = try event.decode(DiagnosisRecorded.self)
            guard var failure = try row(P.failures, [.text(diagnosis.failure)]), case .text(let skill) = failure[1] else { return }
            try diagnosed(skill: skill, lever: failure[5], target: failure[6], by: -1)
            failure[5] = .text(diagnosis.lever)
            failure[6] = .text(diagnosis.target)
            put(P.failures, failure)
            try diagnosed(skill: skill, lever: failure[5], target: failure[6], by: 1)
        case .fixProposed:
            let proposal = try event.decode(FixProposed.self)
            var skills: [String] = []
            for id in proposal.failures {
                if let failure = try row(P.failures, [.text(id)]), case .text(let skill) = failure[1], !skills.contains(skill) { skills.append(skill) }
            }
            let target = proposal.target ?? ""
            put(P.fixes, [.text(proposal.fix), .text(proposal.lever), .text(target), .text(skills.joined(separator: "\n")),
                          .integer(0), .integer(0), .integer(0)])
            for skill in skills {
                try skillRow(skill) { Self.add(&$0, .fixesProposed, 1) }
                try leverRow(skill, .text(proposal.lever), .text(target)) { $0[4] = .integer($0[4].number + 1) }
            }
        case .fixVerified:
            let verification = try event.decode(FixVerified.self)
            guard var fix = try row(P.fixes, [.text(verification.fix)]) else { return }
            let firstVerification = fix[4].number == 0, firstFailure = !verification.clean && fix[5].number == 0
            guard firstVerification || firstFailure else { return }
            fix[4] = .integer(1)
            if firstFailure { fix[5] = .integer(1) }
            put(P.fixes, fix)
            for skill in skills(of: fix) {
                try skillRow(skill) { row in
                    Self.add(&row, .fixesVerified, firstVerification ? 1 : 0)
                    Self.add(&row, .fixesFailedVerification, firstFailure ? 1 : 0)
                }
            }
        case .reviewRecorded:
            let review = try event.decode(ReviewRecorded.self)
            guard review.verdict == "reject", var fix = try row(P.fixes, [.text(review.fix)]), fix[6].number == 0 else { return }
            fix[6] = .integer(1)
            put(P.fixes, fix)
            for skill in skills(of: fix) { try skillRow(skill) { Self.add(&$0, .fixesRejected, 1) } }
        case .fixMerged:
            let merged = try event.decode(FixMerged.self)
            guard let fix = try row(P.fixes, [.text(merged.fix)]) else { return }
            for skill in skills(of: fix) {
                try skillRow(skill) { Self.add(&$0, .fixesMerged, 1) }
                try leverRow(skill, fix[1], fix[2]) { $0[5] = .integer($0[5].number + 1) }
            }
        case .fixReverted:
            let reverted = try event.decode(FixReverted.self)
            guard let fix = try row(P.fixes, [.text(reverted.fix)]) else { return }
            for skill in skills(of: fix) { try skillRow(skill) { Self.add(&$0, .fixesReverted, 1) } }
        case .failureResolved:
            try resolved(event)
        case .guardRetired:
            let retired = try event.decode(GuardRetired.self)
            guard var guarded = try row(P.guardSkills, [.text(retired.suite), .text(retired.case)]), guarded[3].number == 0,
                  case .text(let skill) = guarded[2] else { return }
            guarded[3] = .integer(1)
            put(P.guardSkills, guarded)
            try skillRow(skill) { Self.add(&$0, .guards, -1) }
        case .caseAliased:
            let alias = try event.decode(CaseAliased.self)
            guard var guarded = try row(P.guardSkills, [.text(alias.suite), .text(alias.from)]) else { return }
            remove(P.guardSkills, [.text(alias.suite), .text(alias.from)])
            guarded[1] = .text(alias.to)
            put(P.guardSkills, guarded)
        default:
            break
        }
    }

    // MARK: - Runs

    /// An outcome adds to its run's tally for its skill: a case counts once per run, and its
    /// last attempt decides whether it passed. The hot path (nearly every event is an outcome),
    /// so it writes directly rather than through ``EventWrites``.
    static func outcome(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        guard var run = try rows.row(P.runs.name, key: [.text(event.stream)]), run[3] == .null else { return [] }
        let outcome = try event.outcome()
        guard outcome.status != "skip" else { return [] }
        let skill = outcome.skill ?? P.unmapped
        let passed = outcome.status == "pass"
        var writes: [RowWrite] = []
        // The case's result so far in this run, if an earlier attempt ran it.
        let caseKey: [RowValue] = [run[1], .text(outcome.case)]
        let earlier = try rows.row(P.cases.name, key: caseKey).flatMap { $0[2] == .text(event.stream) ? $0[3] : nil }
        writes.append(.upsert(table: P.cases.name, row: caseKey + [.text(event.stream), .text(outcome.status)]))
        let key: [RowValue] = [.text(event.stream), .text(skill)]
        var tally: [RowValue]
        if let existing = try rows.row(P.tallies.name, key: key) {
            tally = existing
        } else {
            tally = key + [.integer(0), .integer(0)]
            if case .text(let seen) = run[4] {
                run[4] = .text(seen.isEmpty ? skill : seen + "\n" + skill)
                writes.append(.upsert(table: P.runs.name, row: run))
            }
        }
        if let earlier {
            let passedBefore = earlier == .text("pass")
            if passedBefore != passed { tally[3] = .integer(tally[3].number + (passed ? 1 : -1)) }
        } else {
            tally[2] = .integer(tally[2].number + 1)
            if passed { tally[3] = .integer(tally[3].number + 1) }
        }
        writes.append(.upsert(table: P.tallies.name, row: tally))
        return writes
    }

    private mutating func completed(_ event: ProjectedEvent) throws {
        guard let run = try row(P.runs, [.text(event.stream)]) else { return }
        remove(P.runs, [.text(event.stream)])
        guard run[3] == .null, case .text(let seen) = run[4], !seen.isEmpty else { return }
        for skill in seen.split(separator: "\n").map(String.init) {
            let key: [RowValue] = [.text(event.stream), .text(skill)]
            guard let tally = try row(P.tallies, key) else { continue }
            remove(P.tallies, key)
            let ran = tally[2].number, passed = tally[3].number
            put(P.skillRuns, [.integer(event.position), .text(skill), run[1], run[2], .text(event.recordedAt), .integer(ran), .integer(passed)])
            try skillRow(skill) { row in
                var recent = row[H.window.rawValue].text.map { $0.split(separator: " ").map(String.init) } ?? []
                recent.append("\(passed)/\(ran)")
                if recent.count > P.window { recent.removeFirst(recent.count - P.window) }
                let totals = recent.reduce(into: (passed: 0, ran: 0)) { sum, entry in
                    let parts = entry.split(separator: "/")
                    sum.passed += Int(parts[0]) ?? 0
                    sum.ran += Int(parts[1]) ?? 0
                }
                row[H.window.rawValue] = .text(recent.joined(separator: " "))
                row[H.cases.rawValue] = .integer(ran)
                Self.add(&row, .runs, 1)
                let windowRate = RowValue.rate(totals.passed, of: totals.ran), lastRate = RowValue.rate(passed, of: ran)
                row[H.passRate.rawValue] = .text(windowRate)
                row[H.lastRunRate.rawValue] = .text(lastRate)
                if let window = P.scaled(.text(windowRate)), let last = P.scaled(.text(lastRate)), recent.count > 1 {
                    row[H.trend.rawValue] = .text(last > window + 50 ? "up" : last < window - 50 ? "down" : "flat")
                } else {
                    row[H.trend.rawValue] = .text("")
                }
            }
        }
    }

    // MARK: - Failures

    private mutating func resolved(_ event: ProjectedEvent) throws {
        let resolved = try event.decode(FailureResolved.self)
        guard var failure = try row(P.failures, [.text(resolved.failure)]), failure[7].number == 1, case .text(let skill) = failure[1] else { return }
        failure[7] = .integer(0)
        put(P.failures, failure)
        let regression = failure[2] == .text("regression") ? 1 : 0
        var matched: Int?
        if let fixID = resolved.fix, let fix = try row(P.fixes, [.text(fixID)]), failure[5] != .null {
            matched = fix[1] == failure[5] ? 1 : 0
            try leverRow(skill, failure[5], failure[6]) { $0[6] = .integer($0[6].number + 1) }
        }
        var newGuard = 0
        if resolved.becameGuard {
            let key: [RowValue] = [.text(resolved.suite), .text(resolved.case)]
            let existing = try row(P.guardSkills, key)
            if let existing, existing[3].number == 0 {
                // Still a guard: counted once, under the skill it has now.
                if case .text(let before) = existing[2], before != skill {
                    try skillRow(before) { Self.add(&$0, .guards, -1) }
                    newGuard = 1
                }
            } else {
                newGuard = 1
            }
            put(P.guardSkills, key + [.text(skill), .integer(0)])
            if resolved.fix != nil, case .text(let detectedAt) = failure[3] {
                let milliseconds = (try? Timestamp(parsing: event.recordedAt))?.milliseconds(since: detectedAt) ?? 0
                put(P.fixTimes, [.text(skill), .text(resolved.failure), failure[4], .integer(event.position), .integer(milliseconds)])
            }
        }
        try skillRow(skill) { row in
            Self.add(&row, .openFailures, -1)
            Self.add(&row, .openRegressions, -regression)
            Self.add(&row, .resolved, 1)
            Self.add(&row, .guards, newGuard)
            if let matched {
                Self.add(&row, .leverResolved, 1)
                Self.add(&row, .leverMatched, matched)
            }
        }
    }

    private mutating func diagnosed(skill: String, lever: RowValue, target: RowValue, by delta: Int) throws {
        guard case .text(let name) = lever else { return }
        try leverRow(skill, lever, target) { $0[3] = .integer($0[3].number + delta) }
        let column: H? = switch name {
        case "code": .diagnosedCode
        case "threshold": .diagnosedThreshold
        case "skill": .diagnosedSkill
        default: nil
        }
        if let column { try skillRow(skill) { Self.add(&$0, column, delta) } }
    }

    private func skills(of fix: [RowValue]) -> [String] {
        guard case .text(let skills) = fix[3], !skills.isEmpty else { return [] }
        return skills.split(separator: "\n").map(String.init)
    }


    // MARK: - Rows

    private mutating func skillRow(_ skill: String, _ change: (inout [RowValue]) -> Void) throws {
        var row = try row(P.health, [.text(skill)]) ?? P.H.allCases.map { column -> RowValue in
            switch column {
            case .skill: return .text(skill)
            case .status, .rule, .window, .passRate, .lastRunRate, .trend: return .text("")
            default: return .integer(0)
            }
        }
        change(&row)
        let (status, rule) = P.status(row)
        row[H.status.rawValue] = .text(status)
        row[H.rule.rawValue] = .text(rule)
        put(P.health, row)
    }

    private mutating func leverRow(_ skill: String, _ lever: RowValue, _ target: RowValue, _ change: (inout [RowValue]) -> Void) throws {
        guard lever != .null else { return }
        let key: [RowValue] = [.text(skill), lever, target == .null ? .text("") : target]
        var row = try row(P.leverHealth, key) ?? key + [.integer(0), .integer(0), .integer(0), .integer(0)]
        change(&row)
        put(P.leverHealth, row)
    }

    private static func add(_ row: inout [RowValue], _ column: H, _ delta: Int) {
        guard delta != 0 else { return }
        row[column.rawValue] = .integer(row[column.rawValue].number + delta)
    }

    private func row(_ table: ReadModelTable, _ key: [RowValue]) throws -> [RowValue]? {
        try changes.row(table, key)
    }

    private mutating func put(_ table: ReadModelTable, _ row: [RowValue]) {
        changes.put(table, row)
    }

    private mutating func remove(_ table: ReadModelTable, _ key: [RowValue]) {
        changes.remove(table, key)
    }
}
