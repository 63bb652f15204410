import Events

/// One event's fold into the skill-health tables: reads go through the writes made so far for
/// this event, so several changes to one skill's row add up.
struct HealthFold {
    typealias P = SkillHealthProjection

    private var changes: EventWrites
    var writes: [RowWrite] { changes.writes }

    init(rows: RowReader) {
        changes = EventWrites(rows)
    }

    mutating func apply(_ event: ProjectedEvent) throws {
        switch event.loopType {
        case .evalRunStarted:
            let started = try event.decode(EvalRunStarted.self)
            changes.put(HealthRunRow(stream: event.stream, suite: started.suite, runID: started.runID, verifies: started.verifies))
        case .evalRunCompleted:
            try completed(event)
        case .failureDetected:
            let detected = try event.decode(FailureDetected.self)
            let skill = try Self.skill(of: detected.case, suite: detected.suite, recorded: detected.skill, rows: changes)
            changes.put(HealthFailureRow(failure: detected.failure, skill: skill, kind: detected.kind, detectedAt: event.recordedAt,
                                         detectedPosition: event.position))
            let regression = detected.kind == .regression ? 1 : 0
            try skillRow(skill) { row in
                row.failures += 1
                row.openFailures += 1
                row.regressions += regression
                row.openRegressions += regression
            }
        case .diagnosisRecorded:
            let diagnosis = try event.decode(DiagnosisRecorded.self)
            guard var failure = try changes.row(HealthFailureRow.self, HealthFailureRow.key(failure: diagnosis.failure)) else { return }
            try diagnosed(skill: failure.skill, lever: failure.lever, target: failure.target, by: -1)
            failure.lever = diagnosis.lever
            failure.target = diagnosis.target
            changes.put(failure)
            try diagnosed(skill: failure.skill, lever: failure.lever, target: failure.target, by: 1)
        case .fixProposed:
            let proposal = try event.decode(FixProposed.self)
            var skills: [String] = []
            for id in proposal.failures {
                if let failure = try changes.row(HealthFailureRow.self, HealthFailureRow.key(failure: id)), !skills.contains(failure.skill) {
                    skills.append(failure.skill)
                }
            }
            let target = proposal.target ?? ""
            changes.put(HealthFixRow(fix: proposal.fix, lever: proposal.lever, target: target, skills: skills))
            for skill in skills {
                try skillRow(skill) { $0.fixesProposed += 1 }
                try leverRow(skill, proposal.lever, target) { $0.fixesProposed += 1 }
            }
        case .fixVerified:
            let verification = try event.decode(FixVerified.self)
            guard var fix = try changes.row(HealthFixRow.self, HealthFixRow.key(fix: verification.fix)) else { return }
            let firstVerification = !fix.isVerified, firstFailure = !verification.clean && !fix.failedVerification
            guard firstVerification || firstFailure else { return }
            fix.isVerified = true
            if firstFailure { fix.failedVerification = true }
            changes.put(fix)
            for skill in fix.skills {
                try skillRow(skill) { row in
                    row.fixesVerified += firstVerification ? 1 : 0
                    row.fixesFailedVerification += firstFailure ? 1 : 0
                }
            }
        case .reviewRecorded:
            let review = try event.decode(ReviewRecorded.self)
            guard review.verdict == .reject, var fix = try changes.row(HealthFixRow.self, HealthFixRow.key(fix: review.fix)),
                  !fix.isRejected else { return }
            fix.isRejected = true
            changes.put(fix)
            for skill in fix.skills { try skillRow(skill) { $0.fixesRejected += 1 } }
        case .fixMerged:
            let merged = try event.decode(FixMerged.self)
            guard let fix = try changes.row(HealthFixRow.self, HealthFixRow.key(fix: merged.fix)) else { return }
            for skill in fix.skills {
                try skillRow(skill) { $0.fixesMerged += 1 }
                try leverRow(skill, fix.lever, fix.target) { $0.fixesMerged += 1 }
            }
        case .fixReverted:
            let reverted = try event.decode(FixReverted.self)
            guard var fix = try changes.row(HealthFixRow.self, HealthFixRow.key(fix: reverted.fix)) else { return }
            for skill in fix.skills { try skillRow(skill) { $0.fixesReverted += 1 } }
            // A reverted fix proved no diagnosis right.
            for entry in fix.credited {
                let parts = entry.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                guard parts.count == 3, let lever = Lever(rawValue: parts[1]) else { continue }
                try leverRow(parts[0], lever, parts[2]) { $0.accurate -= 1 }
            }
            fix.credited = []
            changes.put(fix)
        case .failureResolved:
            try resolved(event)
        case .guardRetired:
            let retired = try event.decode(GuardRetired.self)
            guard var guarded = try changes.row(HealthGuardRow.self, HealthGuardRow.key(suite: retired.suite, caseKey: retired.case)),
                  !guarded.isRetired else { return }
            guarded.isRetired = true
            changes.put(guarded)
            try skillRow(guarded.skill) { $0.guards -= 1 }
        case .caseAliased:
            let alias = try event.decode(CaseAliased.self)
            guard var guarded = try changes.row(HealthGuardRow.self, HealthGuardRow.key(suite: alias.suite, caseKey: alias.from)) else { return }
            changes.remove(HealthGuardRow.self, guarded.key)
            guarded.caseKey = alias.to
            changes.put(guarded)
        case .skillMapAdopted:
            if let held = try HeldSkillMap<P>.adopting(event, rows: changes) { changes.put(held) }
        default:
            break
        }
    }

    /// The skill a case counts under: the adopted map's, else the one recorded, else unmapped;
    /// from the case's working row when it recorded the same skill there.
    static func skill(of caseKey: String, suite: String, recorded: String?, rows: RowReader,
                      known: HealthCaseRow? = nil) throws -> String {
        let known = try known ?? rows.row(HealthCaseRow.self, key: HealthCaseRow.key(suite: suite, caseKey: caseKey))
        if let known, known.recorded == recorded { return known.skill }
        return try HeldSkillMap<P>.skill(of: caseKey, recorded: recorded, rows: rows) ?? P.unmapped
    }

    // MARK: - Runs

    /// An outcome adds to its run's tally for its skill: a case counts once per run, and its
    /// last attempt decides whether it passed. The hot path (nearly every event is an outcome),
    /// so it writes directly rather than through ``EventWrites``.
    static func outcome(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        guard var run = try rows.row(HealthRunRow.self, key: HealthRunRow.key(stream: event.stream)), run.verifies == nil else { return [] }
        let outcome = try event.outcome()
        guard outcome.status != .skip else { return [] }
        let passed = outcome.status == .pass
        var writes: [RowWrite] = []
        let known = try rows.row(HealthCaseRow.self, key: HealthCaseRow.key(suite: run.suite, caseKey: outcome.case))
        let skill = try skill(of: outcome.case, suite: run.suite, recorded: outcome.skill, rows: rows, known: known)
        // The case's result so far in this run, if an earlier attempt ran it.
        let earlier = known.flatMap { $0.stream == event.stream ? $0.result : nil }
        writes.append(.put(HealthCaseRow(suite: run.suite, caseKey: outcome.case, stream: event.stream, result: outcome.status,
                                         recorded: outcome.skill, skill: skill)))
        var tally: HealthTallyRow
        if let existing = try rows.row(HealthTallyRow.self, key: HealthTallyRow.key(stream: event.stream, skill: skill)) {
            tally = existing
        } else {
            tally = HealthTallyRow(stream: event.stream, skill: skill)
            run.add(skill: skill)
            writes.append(.put(run))
        }
        if let earlier {
            if (earlier == .pass) != passed { tally.passed += passed ? 1 : -1 }
        } else {
            tally.ran += 1
            if passed { tally.passed += 1 }
        }
        writes.append(.put(tally))
        return writes
    }

    private mutating func completed(_ event: ProjectedEvent) throws {
        guard let run = try changes.row(HealthRunRow.self, HealthRunRow.key(stream: event.stream)) else { return }
        changes.remove(HealthRunRow.self, run.key)
        guard run.verifies == nil else { return }
        for skill in run.skills {
            let key = HealthTallyRow.key(stream: event.stream, skill: skill)
            guard let tally = try changes.row(HealthTallyRow.self, key) else { continue }
            changes.remove(HealthTallyRow.self, key)
            let ran = tally.ran, passed = tally.passed
            changes.put(SkillRunRow(position: event.position, skill: skill, suite: run.suite, runID: run.runID,
                                    completedAt: event.recordedAt, ran: ran, passed: passed))
            try skillRow(skill) { row in
                var recent = row.recent
                recent.append(SkillHealthRow.RunTally(passed: passed, ran: ran))
                if recent.count > P.window { recent.removeFirst(recent.count - P.window) }
                row.recent = recent
                let totals = recent.reduce(into: (passed: 0, ran: 0)) { sum, entry in
                    sum.passed += entry.passed
                    sum.ran += entry.ran
                }
                row.cases = ran
                row.runs += 1
                let windowRate = RowValue.rate(totals.passed, of: totals.ran), lastRate = RowValue.rate(passed, of: ran)
                row.passRate = windowRate
                row.lastRunRate = lastRate
                if let window = windowRate.flatMap(P.scaled), let last = lastRate.flatMap(P.scaled), recent.count > 1 {
                    row.trend = last > window + 50 ? .up : last < window - 50 ? .down : .flat
                } else {
                    row.trend = nil
                }
            }
        }
    }

    // MARK: - Failures

    private mutating func resolved(_ event: ProjectedEvent) throws {
        let resolved = try event.decode(FailureResolved.self)
        guard var failure = try changes.row(HealthFailureRow.self, HealthFailureRow.key(failure: resolved.failure)), failure.isOpen else { return }
        let skill = failure.skill
        failure.isOpen = false
        changes.put(failure)
        let regression = failure.kind == .regression ? 1 : 0
        var matched: Int?
        if let fixID = resolved.fix, var fix = try changes.row(HealthFixRow.self, HealthFixRow.key(fix: fixID)), let lever = failure.lever {
            matched = fix.lever == lever ? 1 : 0
            let target = failure.target ?? ""
            try leverRow(skill, lever, target) { row in
                row.resolved += 1
                row.judged += 1
                row.accurate += matched!
            }
            if matched == 1 {
                fix.credited.append([skill, lever.rawValue, target].joined(separator: "\t"))
                changes.put(fix)
            }
        }
        var newGuard = 0
        if resolved.becameGuard {
            let existing = try changes.row(HealthGuardRow.self, HealthGuardRow.key(suite: resolved.suite, caseKey: resolved.case))
            if let existing, !existing.isRetired {
                // Still a guard: counted once, under the skill it has now.
                if existing.skill != skill {
                    try skillRow(existing.skill) { $0.guards -= 1 }
                    newGuard = 1
                }
            } else {
                newGuard = 1
            }
            changes.put(HealthGuardRow(suite: resolved.suite, caseKey: resolved.case, skill: skill))
            if resolved.fix != nil {
                let milliseconds = (try? Timestamp(parsing: event.recordedAt))?.milliseconds(since: failure.detectedAt) ?? 0
                changes.put(SkillFixTimeRow(skill: skill, failure: resolved.failure, detectedPosition: failure.detectedPosition,
                                            guardedPosition: event.position, milliseconds: milliseconds))
            }
        }
        try skillRow(skill) { row in
            row.openFailures -= 1
            row.openRegressions -= regression
            row.resolved += 1
            row.guards += newGuard
            if let matched {
                row.leverResolved += 1
                row.leverMatched += matched
            }
        }
    }

    private mutating func diagnosed(skill: String, lever: Lever?, target: String?, by delta: Int) throws {
        guard let lever else { return }
        try leverRow(skill, lever, target ?? "") { $0.diagnosed += delta }
        try skillRow(skill) { $0[diagnosed: lever] += delta }
    }

    // MARK: - Rows

    private mutating func skillRow(_ skill: String, _ change: (inout SkillHealthRow) -> Void) throws {
        var row = try changes.row(SkillHealthRow.self, SkillHealthRow.key(skill: skill)) ?? SkillHealthRow(skill: skill)
        change(&row)
        (row.status, row.rule) = P.status(row)
        changes.put(row)
    }

    private mutating func leverRow(_ skill: String, _ lever: Lever, _ target: String, _ change: (inout SkillLeverRow) -> Void) throws {
        var row = try changes.row(SkillLeverRow.self, SkillLeverRow.key(skill: skill, lever: lever, target: target))
            ?? SkillLeverRow(skill: skill, lever: lever, target: target)
        change(&row)
        changes.put(row)
    }
}
