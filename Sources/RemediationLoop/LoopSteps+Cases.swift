import Events
import LedgerStore

extension LoopSteps {
    /// Records that a case was renamed: its history, open failure and guard carry over.
    ///
    /// - Throws: ``LoopError`` when the old key is unknown or the new one has history already.
    @discardableResult
    public func alias(suite: String, from old: String, to new: String, by actor: String?) throws -> CaseAliased {
        guard old != new else { throw LoopError(.invalidArgument, "the old and new case keys are the same") }
        return try ledger.write { writer in
            let state = try LoopState.fold(writer)
            guard state.cases[SuiteCase(suite: suite, key: old)] != nil || state.openFailureByCase[SuiteCase(suite: suite, key: old)] != nil else {
                throw LoopError(.notFound, "suite \(suite) has no case \(old) to rename")
            }
            guard state.cases[SuiteCase(suite: suite, key: new)] == nil else {
                throw LoopError(.invalidState, "suite \(suite) has a case \(new) with its own history already")
            }
            let alias = CaseAliased(suite: suite, from: old, to: new, by: actor)
            try Self.append(writer, LoopStreams.case(suite: suite, key: old), .caseAliased, alias, actor: actor)
            return alias
        }
    }

    /// Quarantines a case until a date, with an owner: `remedy next` lists it once it expires.
    ///
    /// - Throws: ``LoopError`` for an invalid date, an unknown case or one already quarantined.
    @discardableResult
    public func quarantine(suite: String, case key: String, owner: String, until: String, reason: String?) throws -> QuarantineStarted {
        guard (try? Timestamp(parsing: until)) != nil else {
            throw LoopError(.invalidArgument, "--until '\(until)' is not a date or RFC 3339 time")
        }
        guard !owner.isEmpty else { throw LoopError(.invalidArgument, "a quarantine needs an owner") }
        return try ledger.write { writer in
            let state = try LoopState.fold(writer)
            let id = SuiteCase(suite: suite, key: key)
            guard state.cases[id] != nil || state.openFailureByCase[id] != nil else {
                throw LoopError(.notFound, "suite \(suite) has no case \(key)")
            }
            guard state.quarantines[id] == nil else { throw LoopError(.invalidState, "\(key) is quarantined already (owner \(state.quarantines[id]!.owner))") }
            let started = QuarantineStarted(suite: suite, case: key, owner: owner, until: until, reason: reason)
            try Self.append(writer, LoopStreams.case(suite: suite, key: key), .quarantineStarted, started, actor: owner)
            return started
        }
    }

    /// Ends a case's quarantine.
    ///
    /// - Throws: ``LoopError`` when the case is not quarantined.
    @discardableResult
    public func endQuarantine(suite: String, case key: String, by actor: String?) throws -> QuarantineEnded {
        try ledger.write { writer in
            let state = try LoopState.fold(writer)
            guard state.quarantines[SuiteCase(suite: suite, key: key)] != nil else {
                throw LoopError(.notFound, "\(key) in suite \(suite) is not quarantined")
            }
            let ended = QuarantineEnded(suite: suite, case: key, by: actor)
            try Self.append(writer, LoopStreams.case(suite: suite, key: key), .quarantineEnded, ended, actor: actor)
            return ended
        }
    }
}
