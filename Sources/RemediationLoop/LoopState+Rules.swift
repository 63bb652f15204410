import Events

/// The loop's rules for each of its events: what must hold for the event to be recorded now.
///
/// The loop's commands check these before they append (``LoopSteps``), and so does every other
/// door (``LoopSteps/append(batch:onEach:)``: `remedy append`, a batch), so a hand-written
/// `GateDecided` or `FixMerged` can never record what the commands would refuse. The rules
/// read the state before the event; the caller applies the event afterwards.
///
/// Events that the loop derives (detections, resolutions, verifications, gate decisions) must
/// be exactly what the loop would derive from the state; decisions people and agents take
/// (diagnoses, proposals, reviews, merges, retirements) must be allowed in the state.
extension LoopState {
    /// Checks one event of the catalogue against the state before it.
    ///
    /// - Throws: ``LoopError`` saying what the loop requires; `DecodingError` or
    ///   ``EventError`` when the payload does not decode.
    public func check(_ type: LoopEventType, data: [UInt8], stream: String) throws {
        try check(try LoopEvent(type, data: data), stream: stream)
    }

    /// Checks one decoded event against the state before it.
    ///
    /// - Throws: ``LoopError`` saying what the loop requires.
    public func check(_ event: LoopEvent, stream: String) throws {
        switch event {
        case .evalRunStarted(let payload): try check(payload, stream: stream)
        case .caseOutcome: try checkAcceptsOutcomes(on: stream)
        case .evalRunCompleted(let payload): try check(payload, stream: stream)
        case .failureDetected(let payload): try check(payload, stream: stream)
        case .regressionDetected(let payload): try check(payload, stream: stream)
        case .failureResolved(let payload): try check(payload, stream: stream)
        case .diagnosisRecorded(let payload): try check(payload, stream: stream)
        case .fixProposed(let payload): try check(payload, stream: stream)
        case .fixVerified(let payload): try check(payload, stream: stream)
        case .gateDecided(let payload): try check(payload, stream: stream)
        case .reviewRecorded(let payload): try check(payload, stream: stream)
        case .fixMerged(let payload): try check(payload, stream: stream)
        case .fixReverted(let payload): try check(payload, stream: stream)
        case .guardRetired(let payload): try check(payload, stream: stream)
        case .caseAliased(let payload): try check(payload, stream: stream)
        case .policyAdopted(let payload): try check(payload, stream: stream)
        case .skillMapAdopted(let payload): try check(payload, stream: stream)
        case .datasetDeclared(let payload): try check(payload, stream: stream)
        case .quarantineStarted(let payload): try check(payload, stream: stream)
        case .quarantineEnded(let payload): try check(payload, stream: stream)
        case .loopStepStarted(let payload): try check(payload, stream: stream)
        case .loopStepEnded(let payload): try check(payload, stream: stream)
        }
    }

    // MARK: - Runs and what ingest derives from them

    func check(_ started: EvalRunStarted, stream: String) throws {
        try expectStream(stream, try LoopStreams.run(suite: started.suite, run: started.runID), for: "EvalRunStarted")
        guard runs[stream] == nil else { throw refused("run \(started.runID) of suite \(started.suite) was started already") }
        if let fix = started.verifies {
            let current = try self.fix(fix)
            guard current.merged == nil else { throw refused("fix \(fix) merged already; there is nothing left to verify") }
        }
    }

    func check(_ completed: EvalRunCompleted, stream: String) throws {
        guard let run = runs[stream] else { throw refused("no run was started on \(stream): record EvalRunStarted first") }
        guard run.completed == nil else { throw refused("run \(run.started.runID) of suite \(run.started.suite) has completed already") }
        guard completed.suite == run.started.suite, completed.runID == run.started.runID else {
            throw refused("\(stream) is run \(run.started.runID) of suite \(run.started.suite), not run \(completed.runID) of \(completed.suite)")
        }
        guard let progress = run.progress else { throw refused("run \(run.started.runID) of suite \(run.started.suite) has completed already") }
        var expected = EvalRunCompleted(suite: completed.suite, runID: completed.runID)
        expected.cases = progress.caseCount(finalStatus: run.finalStatus)
        expected.flaky = progress.flaky.count
        if let fix = run.started.verifies {
            guard progress.verified else { throw refused("run \(run.started.runID) verifies \(fix): record its FixVerified before the run completes") }
        } else {
            if let due = progress.regressionsDue.min() {
                throw refused("\(due) fails a regression guard: record its RegressionDetected before the run completes")
            }
            // Every case that ended failing has an open failure, and none that passed does;
            // the first of each by key names the problem.
            var stillFailing = 0
            var undetected: String?, unresolved: (key: String, failure: String)?
            for (key, status) in run.finalStatus {
                let open = openFailureByCase[SuiteCase(suite: completed.suite, key: key)]
                if status == .pass {
                    if let open, unresolved.map({ key < $0.key }) ?? true { unresolved = (key, open) }
                } else if let open {
                    if failures[open]?.detected.runID != completed.runID { stillFailing += 1 }
                } else if undetected.map({ key < $0 }) ?? true {
                    undetected = key
                }
            }
            if let undetected {
                throw refused("\(undetected) ended with \(run.finalStatus[undetected]!) in run \(run.started.runID) and no failure is open for it: record its FailureDetected before the run completes")
            }
            if let unresolved {
                throw refused("\(unresolved.key) passed in run \(run.started.runID) and \(unresolved.failure) is open: record its FailureResolved before the run completes")
            }
            expected.newFailures = progress.detected
            expected.stillFailing = stillFailing
            expected.fixed = progress.resolved
            expected.regressions = progress.regressions
        }
        let counts: [(String, Int, Int)] = [
            ("cases", completed.cases, expected.cases), ("new_failures", completed.newFailures, expected.newFailures),
            ("still_failing", completed.stillFailing, expected.stillFailing), ("fixed", completed.fixed, expected.fixed),
            ("regressions", completed.regressions, expected.regressions), ("flaky", completed.flaky, expected.flaky),
        ]
        let differing = counts.filter { $0.1 != $0.2 }
        guard differing.isEmpty else {
            throw refused("run \(run.started.runID) recorded " + differing.map { "\($0.0) \($0.2), not \($0.1)" }.joined(separator: ", ")
                          + ": a completion counts what the run recorded")
        }
    }

    func check(_ detected: FailureDetected, stream: String) throws {
        let expected = "failure-\(failureCount + 1)"
        guard detected.failure == expected else {
            throw refused("the next failure detected is \(expected), not \(detected.failure)")
        }
        try expectStream(stream, LoopStreams.failure(failureCount + 1), for: "FailureDetected")
        let run = try regularRun(suite: detected.suite, runID: detected.runID, for: detected.failure)
        let id = SuiteCase(suite: detected.suite, key: detected.case)
        guard let status = run.finalStatus[detected.case], status.isFailure else {
            throw refused("\(detected.case) did not fail in run \(detected.runID) of suite \(detected.suite)")
        }
        guard detected.status == status else { throw refused("\(detected.case) ended with \(status) in run \(detected.runID), not \(detected.status)") }
        guard detected.firstFailingRun == detected.runID else {
            throw refused("\(detected.failure) is detected in run \(detected.runID), so that is its first failing run, not \(detected.firstFailingRun)")
        }
        if let open = openFailureByCase[id] { throw refused("\(detected.case) in suite \(detected.suite) has an open failure already (\(open))") }
        let guarded = guards[id].map(\.isActive) ?? false
        let kind = guarded ? .regression : FailureKind(run.started.kind)
        guard detected.kind == kind else {
            throw refused("\(detected.failure) is of kind \(kind) (\(guarded ? "the case is a regression guard" : "the run's kind")), not \(detected.kind)")
        }
        let passedBefore = cases[id]?.everPassed ?? false
        guard detected.passedBefore == passedBefore else {
            throw refused("\(detected.case) \(passedBefore ? "passed" : "never passed") before run \(detected.runID); passed_before must be \(passedBefore)")
        }
    }

    func check(_ regression: RegressionDetected, stream: String) throws {
        guard let failure = failures[regression.failure], failure.isOpen else { throw refused("no open failure \(regression.failure)") }
        try expectStream(stream, LoopStreams.failure(LoopRules.number(regression.failure)), for: "RegressionDetected")
        let detected = failure.detected
        guard detected.kind == .regression, regression.suite == detected.suite, regression.case == detected.case,
              regression.runID == detected.runID else {
            throw refused("\(regression.failure) was not detected as a regression of \(regression.case) in run \(regression.runID)")
        }
        guard let progress = runs[try LoopStreams.run(suite: regression.suite, run: regression.runID).rawValue]?.progress else {
            throw refused("run \(regression.runID) of suite \(regression.suite) is not being recorded: what it detected was recorded before it completed")
        }
        guard progress.regressionsDue.contains(regression.failure) else { throw refused("the regression \(regression.failure) was recorded already") }
        let id = SuiteCase(suite: regression.suite, key: regression.case)
        guard let guarded = guards[id], guarded.isActive else { throw refused("\(regression.case) in suite \(regression.suite) is not a regression guard") }
        guard regression.guardFailure == guarded.failure, regression.guardFix == guarded.fix,
              regression.lastPassingRun == cases[id]?.lastPassingRun else {
            throw refused("the guard of \(regression.case) comes from \(guarded.failure), fix \(guarded.fix ?? "none"), last passing in run \(cases[id]?.lastPassingRun ?? "none")")
        }
    }

    func check(_ resolved: FailureResolved, stream: String) throws {
        guard let failure = failures[resolved.failure] else { throw refused("no failure \(resolved.failure)") }
        guard failure.isOpen else { throw refused("\(resolved.failure) was resolved in run \(failure.resolved!.runID) already") }
        try expectNoRegressionDue(failure: resolved.failure, for: "it is resolved")
        try expectStream(stream, LoopStreams.failure(LoopRules.number(resolved.failure)), for: "FailureResolved")
        let id = SuiteCase(suite: resolved.suite, key: resolved.case)
        guard openFailureByCase[id] == resolved.failure else {
            throw refused("\(resolved.failure) is not the open failure of \(resolved.case) in suite \(resolved.suite)")
        }
        let run = try regularRun(suite: resolved.suite, runID: resolved.runID, for: resolved.failure)
        guard run.finalStatus[resolved.case] == .pass else {
            throw refused("\(resolved.case) did not pass in run \(resolved.runID): \(resolved.failure) is not resolved")
        }
        let fix = fixInForce(for: resolved.failure)
        guard resolved.fix == fix, resolved.becameGuard == (fix != nil) else {
            throw refused(fix.map { "\(resolved.failure) is fixed by \($0), so it becomes a guard" } ?? "\(resolved.failure) has no merged fix, so it becomes no guard")
        }
    }

    func check(_ verified: FixVerified, stream: String) throws {
        let current = try fix(verified.fix)
        guard current.merged == nil else { throw refused("fix \(verified.fix) merged already; there is nothing left to verify") }
        try expectStream(stream, try LoopStreams.fix(verified.fix), for: "FixVerified")
        let runStream = try LoopStreams.run(suite: verified.suite, run: verified.runID).rawValue
        guard let run = runs[runStream], run.started.verifies == verified.fix else {
            throw refused("run \(verified.runID) of suite \(verified.suite) is not a verification run of \(verified.fix) (ingest it with --verifies \(verified.fix))")
        }
        guard run.completed == nil, let progress = run.progress else {
            throw refused("verification run \(verified.runID) has completed; its verification was recorded with it")
        }
        guard !progress.verified else { throw refused("the verification of \(verified.fix) by run \(verified.runID) was recorded already") }
        let expected = verification(fix: verified.fix, suite: verified.suite, runID: verified.runID,
                                    finalStatus: run.finalStatus, failed: progress.failed)
        guard verified == expected else {
            throw refused("the verification of \(verified.fix) must be what run \(verified.runID) shows: clean \(expected.clean), "
                          + "\(expected.casesCovered) of \(expected.goldenCases) golden cases, \(expected.guardsFailed.count) guards failed, "
                          + "\(expected.passToFail.count) cases flipped from pass to fail")
        }
    }

    // MARK: - Decisions

    func check(_ diagnosis: DiagnosisRecorded, stream: String) throws {
        guard let failure = failures[diagnosis.failure] else { throw LoopError(.notFound, "no failure \(diagnosis.failure)") }
        guard failure.isOpen else {
            throw refused("\(failure.id) was resolved in run \(failure.resolved!.runID); there is nothing left to diagnose")
        }
        try expectStream(stream, LoopStreams.failure(LoopRules.number(failure.id)), for: "DiagnosisRecorded")
        if let confidence = diagnosis.confidence { try LoopRules.checkConfidence(confidence) }
    }

    func check(_ proposal: FixProposed, stream: String) throws {
        try expectStream(stream, try LoopStreams.fix(proposal.fix), for: "FixProposed")
        guard fixes[proposal.fix] == nil else { throw LoopError(.conflict, "fix \(proposal.fix) was proposed already; choose a new fix id") }
        guard !proposal.failures.isEmpty else { throw LoopError(.invalidArgument, "name at least one failure the fix addresses") }
        for id in proposal.failures {
            guard let failure = failures[id] else { throw LoopError(.notFound, "no failure \(id)") }
            guard failure.isOpen else { throw refused("\(id) was resolved in run \(failure.resolved!.runID); a fix needs an open failure") }
        }
        let origin: FixOrigin = LoopRules.isAgent(proposal.by) ? .agent : .human
        guard proposal.origin == origin else { throw refused("a fix proposed by \(proposal.by) has origin \(origin), not \(proposal.origin)") }
    }

    func check(_ decided: GateDecided, stream: String) throws {
        let current = try fix(decided.fix)
        guard current.merged == nil else { throw refused("fix \(decided.fix) merged already; the gate has nothing to decide") }
        try expectStream(stream, try LoopStreams.fix(decided.fix), for: "GateDecided")
        if let gate = current.gate {
            throw refused("the gate decided \(gate.decision) for fix \(decided.fix) already (\(gate.rule)); a new verification reopens the decision")
        }
        var policy = try policyInForce()
        if decided.policySHA256 != policy.sha256, self.policy == nil,
           let earlier = DefaultPolicy.earlier.first(where: { $0.sha256 == decided.policySHA256 }) {
            policy = earlier
        }
        guard decided.policySHA256 == policy.sha256 else {
            throw refused("the policy in force has SHA-256 \(policy.sha256), not \(decided.policySHA256): a decision cites the policy adopted in the ledger")
        }
        var facts = GateFacts(fix: current, state: self)
        // A decision recorded before remedy measured radii and re-targeting has neither fact:
        // it stands if leaving them out does not change what the policy decides.
        if decided.facts["retargeted"] == nil {
            let legacy = facts.legacy
            guard Gate.decide(legacy, policy: policy) == Gate.decide(facts, policy: policy) else {
                throw refused("the facts of fix \(decided.fix) leave out what changes its decision (its measured blast radius or re-targeting): a decision records the facts the ledger holds")
            }
            facts = legacy
        }
        let expectedFacts = facts.recorded
        guard decided.facts == expectedFacts else {
            let differing = expectedFacts.keys.sorted().filter { decided.facts[$0] != expectedFacts[$0] } + decided.facts.keys.filter { expectedFacts[$0] == nil }.sorted()
            throw refused("the facts of fix \(decided.fix) are not as recorded (\(differing.joined(separator: ", ")) differ): a decision records the facts the ledger holds")
        }
        let expected = Gate.decide(facts, policy: policy)
        guard decided.decision == expected.decision, decided.rule == expected.rule, decided.rulesConsidered == expected.considered,
              decided.invariant == expected.invariant else {
            throw refused("the policy in force decides \(expected.decision) for fix \(decided.fix) (\(expected.invariant ?? expected.rule)), not \(decided.decision) (\(decided.invariant ?? decided.rule))")
        }
    }

    func check(_ review: ReviewRecorded, stream: String) throws {
        let current = try fix(review.fix)
        try expectStream(stream, try LoopStreams.fix(review.fix), for: "ReviewRecorded")
        guard !LoopRules.isAgent(review.by) else { throw LoopError(.invalidArgument, "reviews are a person's: '\(review.by)' is an agent or a CI job") }
        guard current.merged == nil else { throw refused("fix \(review.fix) merged already (commit \(current.merged!.commit)); there is nothing to review") }
    }

    func check(_ merge: FixMerged, stream: String) throws {
        let current = try fix(merge.fix)
        try expectStream(stream, try LoopStreams.fix(merge.fix), for: "FixMerged")
        guard !merge.commit.isEmpty, merge.commit.allSatisfy({ $0.isASCII && $0.isHexDigit }) else {
            throw LoopError(.invalidArgument, "commit '\(merge.commit)' is not a hex commit id")
        }
        guard current.merged == nil else { throw refused("fix \(merge.fix) merged already (commit \(current.merged!.commit))") }
        if let verifying = runs.values.first(where: { $0.progress != nil && $0.started.verifies == merge.fix }) {
            throw refused("run \(verifying.started.runID) of suite \(verifying.started.suite) is verifying fix \(merge.fix): merge it once the run is recorded")
        }
        let lastReview = current.reviews.last
        if lastReview?.verdict == .reject { throw refused("fix \(merge.fix) was rejected by \(lastReview!.by); it cannot merge") }
        let approved = lastReview?.verdict == .approve
        switch current.gate?.decision {
        case .autoMerge: break
        case .block where !approved:
            throw refused("fix \(merge.fix) is blocked by the gate (\(current.gate!.rule)); a person must approve it first")
        case .review where !approved:
            throw refused("fix \(merge.fix) awaits review: the gate asked for a person (\(current.gate!.rule))")
        case nil where !approved:
            throw refused("fix \(merge.fix) has neither a gate decision nor an approval: run remedy gate \(merge.fix), or have a person review it")
        default: break
        }
    }

    func check(_ revert: FixReverted, stream: String) throws {
        let current = try fix(revert.fix)
        try expectStream(stream, try LoopStreams.fix(revert.fix), for: "FixReverted")
        guard !revert.reason.isEmpty else { throw LoopError(.invalidArgument, "say why the fix was reverted (--reason)") }
        guard current.merged != nil else { throw refused("fix \(revert.fix) never merged; there is nothing to revert") }
        guard current.reverted == nil else { throw refused("fix \(revert.fix) was reverted already") }
    }

    func check(_ retired: GuardRetired, stream: String) throws {
        guard !LoopRules.isAgent(retired.by) else {
            throw LoopError(.invalidArgument, "guards are retired by a person: '\(retired.by)' is an agent or a CI job")
        }
        guard !retired.reason.isEmpty else { throw LoopError(.invalidArgument, "say why the guard is retired (--reason)") }
        let id = SuiteCase(suite: retired.suite, key: retired.case)
        guard let current = guards[id], current.isActive else {
            throw LoopError(.notFound, "\(retired.case) in suite \(retired.suite) is not a regression guard")
        }
        try expectNoRegressionDue(id, for: "the guard is retired")
        try expectStream(stream, LoopStreams.case(suite: retired.suite, key: retired.case), for: "GuardRetired")
    }

    func check(_ alias: CaseAliased, stream: String) throws {
        guard alias.from != alias.to else { throw LoopError(.invalidArgument, "the old and new case keys are the same") }
        let old = SuiteCase(suite: alias.suite, key: alias.from), new = SuiteCase(suite: alias.suite, key: alias.to)
        guard cases[old] != nil || openFailureByCase[old] != nil else { throw LoopError(.notFound, "suite \(alias.suite) has no case \(alias.from) to rename") }
        guard cases[new] == nil else { throw refused("suite \(alias.suite) has a case \(alias.to) with its own history already") }
        try expectNoRegressionDue(old, for: "the case is renamed")
        try expectStream(stream, LoopStreams.case(suite: alias.suite, key: alias.from), for: "CaseAliased")
    }

    func check(_ adopted: PolicyAdopted, stream: String) throws {
        try expectStream(stream, LoopStreams.policy, for: "PolicyAdopted")
        let policy = try AutonomyPolicy(text: adopted.text, name: "the adopted policy")
        guard policy.sha256 == adopted.policySHA256 else {
            throw refused("the policy's text has SHA-256 \(policy.sha256), not \(adopted.policySHA256)")
        }
    }

    func check(_ adopted: SkillMapAdopted, stream: String) throws {
        try expectStream(stream, LoopStreams.skillMap, for: "SkillMapAdopted")
        let expected = try SkillMapAdopted(text: adopted.text, name: "the adopted skill map", by: adopted.by)
        guard expected.mapSHA256 == adopted.mapSHA256 else {
            throw refused("the skill map's text has SHA-256 \(expected.mapSHA256), not \(adopted.mapSHA256)")
        }
        guard expected.rules == adopted.rules else { throw refused("the skill map's rules are not the ones its text gives") }
    }

    func check(_ declared: DatasetDeclared, stream: String) throws {
        try expectStream(stream, try LoopStreams.dataset(suite: declared.suite), for: "DatasetDeclared")
        guard !declared.cases.isEmpty else { throw LoopError(.invalidArgument, "the dataset lists no cases (one case key a line)") }
        if let parts = declared.parts {
            guard let part = declared.part, parts >= 1, part >= 1, part <= parts else {
                throw refused("dataset part \(declared.part.map(String.init) ?? "none") of \(parts) is not a part")
            }
        }
    }

    func check(_ started: QuarantineStarted, stream: String) throws {
        guard (try? Timestamp(parsing: started.until)) != nil else {
            throw LoopError(.invalidArgument, "until '\(started.until)' is not a date or RFC 3339 time")
        }
        guard !started.owner.isEmpty else { throw LoopError(.invalidArgument, "a quarantine needs an owner") }
        let id = SuiteCase(suite: started.suite, key: started.case)
        guard cases[id] != nil || openFailureByCase[id] != nil else { throw LoopError(.notFound, "suite \(started.suite) has no case \(started.case)") }
        guard cases[id]?.everPassed == true else {
            throw refused("\(started.case) has never passed: it is failing, not flaky; diagnose it instead of quarantining it")
        }
        guard quarantines[id] == nil else { throw refused("\(started.case) is quarantined already (owner \(quarantines[id]!.owner))") }
        try expectStream(stream, LoopStreams.case(suite: started.suite, key: started.case), for: "QuarantineStarted")
    }

    func check(_ ended: QuarantineEnded, stream: String) throws {
        guard quarantines[SuiteCase(suite: ended.suite, key: ended.case)] != nil else {
            throw LoopError(.notFound, "\(ended.case) in suite \(ended.suite) is not quarantined")
        }
        try expectStream(stream, LoopStreams.case(suite: ended.suite, key: ended.case), for: "QuarantineEnded")
    }

    // MARK: - Helpers

    /// The policy decisions are taken under now: the last adopted, else the default.
    public func policyInForce() throws -> AutonomyPolicy {
        try policy.map { try AutonomyPolicy(text: $0.text, name: "the adopted policy") } ?? DefaultPolicy.policy
    }

    func fix(_ id: String) throws -> Fix {
        guard let fix = fixes[id] else { throw LoopError(.notFound, "no fix \(id): propose it first (remedy propose ... --fix \(id))") }
        return fix
    }

    private func regularRun(suite: String, runID: String, for failure: String) throws -> Run {
        guard let run = runs[try LoopStreams.run(suite: suite, run: runID).rawValue], run.started.verifies == nil else {
            throw refused("\(failure) names run \(runID) of suite \(suite), which is not a regular run being recorded")
        }
        guard run.completed == nil else { throw refused("run \(runID) of suite \(suite) has completed: what it detected was recorded before") }
        return run
    }

    /// Refuses a change to a guarded case while an open run still has to record the
    /// regression of its guard (which needs the guard as it is).
    private func expectNoRegressionDue(_ id: SuiteCase, for change: String) throws {
        guard let open = openFailureByCase[id] else { return }
        try expectNoRegressionDue(failure: open, for: change)
    }

    private func expectNoRegressionDue(failure: String, for change: String) throws {
        guard let run = runs.values.first(where: { $0.progress?.regressionsDue.contains(failure) == true }) else { return }
        throw refused("run \(run.started.runID) of suite \(run.started.suite) has still to record \(failure), the regression of a guard: \(change) once it is recorded")
    }

    func expectStream(_ stream: String, _ expected: StreamName, for type: String) throws {
        guard stream == expected.rawValue else { throw refused("\(type) belongs on stream \(expected), not \(stream)") }
    }

    private func refused(_ message: String) -> LoopError { LoopError(.invalidState, message) }
}

/// Who counts as an agent, and the checks of free-form values the vocabulary cannot type.
public enum LoopRules {
    /// Agents and CI jobs name themselves `agent:...`, `ci` or `ci:...`.
    public static func isAgent(_ actor: String) -> Bool {
        actor.hasPrefix("agent:") || actor == "agent" || actor == "ci" || actor.hasPrefix("ci:") || actor == "remedy"
    }

    package static func checkConfidence(_ confidence: String) throws {
        guard let value = Double(confidence), value >= 0, value <= 1, !confidence.contains("e"), !confidence.contains("E") else {
            throw LoopError(.invalidArgument, "confidence '\(confidence)' is not a decimal from 0 to 1")
        }
    }

    /// The number of `failure-N`.
    static func number(_ failure: String) -> Int {
        Int(failure.dropFirst("failure-".count)) ?? 0
    }
}
