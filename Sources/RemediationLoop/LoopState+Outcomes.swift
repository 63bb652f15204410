import Events

/// A run's own rules for its case outcomes, applied in place: the door admits nearly every
/// event of a batch through ``LoopState/Run/admit(_:)``.
extension LoopState.Run {
    /// Checks that the run still takes outcomes, then folds `outcome` in.
    ///
    /// - Throws: ``LoopError`` when the run has completed or its outcomes are final.
    mutating func admit(_ outcome: CaseOutcomeRecorded.Summary) throws {
        try checkAcceptsOutcomes()
        fold(outcome)
    }

    /// Throws unless the run is open and its detections (or verification) are not recorded yet.
    ///
    /// - Throws: ``LoopError`` (`.invalidState`) naming the run and why.
    func checkAcceptsOutcomes() throws {
        guard completed == nil else {
            throw LoopError(.invalidState, "run \(started.runID) of suite \(started.suite) has completed")
        }
        guard progress?.isClosed != true else {
            throw LoopError(.invalidState, "run \(started.runID) of suite \(started.suite) has its \(started.verifies == nil ? "detections" : "verification") recorded: its outcomes are final")
        }
    }

    /// Folds one case outcome: an open run also tallies what its completion must agree with; a
    /// completed one (whose outcomes a fold may read after its completion) only keeps final
    /// statuses.
    mutating func fold(_ outcome: CaseOutcomeRecorded.Summary) {
        let status = outcome.status, key = outcome.case
        if let skill = outcome.skill, started.verifies != nil { skills[key] = skill }
        guard progress != nil else {
            if status != .skip { finalStatus[key] = status }
            return
        }
        switch status {
        case .pass:
            finalStatus[key] = status
            if !progress!.failed.isEmpty, progress!.failed.contains(key) {
                progress!.flaky.insert(key)
            }
        case .fail, .error:
            if finalStatus.updateValue(status, forKey: key) == .pass { progress!.flaky.insert(key) }
            progress!.failed.insert(key)
        case .skip:
            if finalStatus[key] == nil { progress!.skipped.insert(key) }
        }
    }
}
