import Events
import LedgerStore

extension LoopSteps {
    /// Records that a case was renamed: its history, open failure and guard carry over.
    ///
    /// - Throws: ``LoopError`` when the old key is unknown or the new one has history already.
    @discardableResult
    public func alias(suite: String, from old: String, to new: String, by actor: String?) throws -> CaseAliased {
        let alias = CaseAliased(suite: suite, from: old, to: new, by: actor)
        return try record(alias, on: LoopStreams.case(suite: suite, key: old), .caseAliased, actor: actor)
    }

    /// Quarantines a flaky case until a date, with an owner: while it holds, the case failing
    /// as a guard neither fails `ratchet check` nor queues a regression; `remedy next` lists
    /// the quarantine once it expires, and the regression with it.
    ///
    /// - Throws: ``LoopError`` for an invalid date or one not after `now`, an unknown case, one
    ///   that never passed (failing, not flaky), or one already quarantined.
    @discardableResult
    public func quarantine(suite: String, case key: String, owner: String, until: String, reason: String?, now: Timestamp) throws -> QuarantineStarted {
        try Self.expectFuture(until, now: now)
        let started = QuarantineStarted(suite: suite, case: key, owner: owner, until: until, reason: reason)
        return try record(started, on: LoopStreams.case(suite: suite, key: key), .quarantineStarted, actor: owner)
    }

    /// Extends a case's quarantine to a later date (and hands it to `owner`, if given): the
    /// quarantine in force ends and the longer one starts, in one transaction.
    ///
    /// - Throws: ``LoopError`` when the case is not quarantined, or the date is not after `now`.
    @discardableResult
    public func extendQuarantine(suite: String, case key: String, until: String, owner: String?, reason: String?, now: Timestamp) throws -> QuarantineStarted {
        try Self.expectFuture(until, now: now)
        let stream = LoopStreams.case(suite: suite, key: key)
        return try ledger.write { writer in
            let loader = try LoopStateLoader(writer)
            try loader.suiteCase(SuiteCase(suite: suite, key: key))
            guard let current = loader.state.quarantines[SuiteCase(suite: suite, key: key)] else {
                throw LoopError(.notFound, "\(key) in suite \(suite) is not quarantined; quarantine it with --owner and --until")
            }
            let started = QuarantineStarted(suite: suite, case: key, owner: owner ?? current.owner, until: until, reason: reason ?? current.reason)
            let ended = QuarantineEnded(suite: suite, case: key, by: owner ?? current.owner)
            try Self.record(writer, loader, stream, .quarantineEnded, ended, actor: ended.by)
            try Self.record(writer, loader, stream, .quarantineStarted, started, actor: started.owner)
            return started
        }
    }

    /// Refuses an expiry that is not after `now`: a quarantine that ended before it started.
    private static func expectFuture(_ until: String, now: Timestamp) throws {
        guard let expiry = try? Timestamp(parsing: until) else {
            throw LoopError(.invalidArgument, "until '\(until)' is not a date or RFC 3339 time")
        }
        guard expiry > now else { throw LoopError(.invalidArgument, "until \(until) is in the past; a quarantine expires after now") }
    }

    /// Ends a case's quarantine.
    ///
    /// - Throws: ``LoopError`` when the case is not quarantined.
    @discardableResult
    public func endQuarantine(suite: String, case key: String, by actor: String?) throws -> QuarantineEnded {
        let ended = QuarantineEnded(suite: suite, case: key, by: actor)
        return try record(ended, on: LoopStreams.case(suite: suite, key: key), .quarantineEnded, actor: actor)
    }
}
