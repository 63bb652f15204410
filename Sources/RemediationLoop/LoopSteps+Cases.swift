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

    /// Quarantines a case until a date, with an owner: `remedy next` lists it once it expires.
    ///
    /// - Throws: ``LoopError`` for an invalid date, an unknown case or one already quarantined.
    @discardableResult
    public func quarantine(suite: String, case key: String, owner: String, until: String, reason: String?) throws -> QuarantineStarted {
        let started = QuarantineStarted(suite: suite, case: key, owner: owner, until: until, reason: reason)
        return try record(started, on: LoopStreams.case(suite: suite, key: key), .quarantineStarted, actor: owner)
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
