import Events

/// One thing the loop must do now.
public struct QueueItem: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A guard failed: first, always.
        case regression
        case diagnose
        case propose
        case verify
        case gate
        case review
        case quarantineExpired = "quarantine-expired"
    }

    public var kind: Kind
    /// The failure or fix id (or the case key, for a quarantine).
    public var subject: String
    public var suite: String
    public var `case`: String?
    /// What to do, in a sentence.
    public var action: String
    /// The cases a verification run must include: the golden dataset and every guard.
    public var mustInclude: [String] = []
    /// The ledger position the item dates from: smaller is older.
    public var since: Int
}

/// What `remedy next` lists: the loop's work, regressions first, then oldest first.
public enum NextQueue {
    /// The queue for a state, with `now` deciding which quarantines have expired.
    public static func items(_ state: LoopState, now: Timestamp) -> [QueueItem] {
        var items: [QueueItem] = []
        for failure in state.failures.values where failure.isOpen {
            let detected = failure.detected
            let hasLiveFix = failure.fixes.contains { id in
                guard let fix = state.fixes[id] else { return false }
                return fix.reverted == nil && fix.reviews.last?.verdict != "reject"
            }
            if hasLiveFix { continue }
            if detected.kind == "regression" {
                items.append(QueueItem(kind: .regression, subject: failure.id, suite: detected.suite, case: detected.case,
                                       action: "the guard \(detected.case) failed in run \(detected.runID): diagnose it", since: failure.position))
            } else if failure.diagnoses.isEmpty {
                items.append(QueueItem(kind: .diagnose, subject: failure.id, suite: detected.suite, case: detected.case,
                                       action: "diagnose: which lever (code, threshold, skill) fixes \(detected.case)?", since: failure.position))
            } else {
                let lever = failure.diagnoses.last!.lever
                items.append(QueueItem(kind: .propose, subject: failure.id, suite: detected.suite, case: detected.case,
                                       action: "propose a \(lever) fix for \(failure.diagnoses.last!.target)", since: failure.position))
            }
        }
        for fix in state.fixes.values where fix.merged == nil && fix.reverted == nil && fix.reviews.last?.verdict != "reject" {
            let suite = fix.proposal.failures.compactMap { state.failures[$0]?.detected.suite }.first ?? ""
            if fix.verification == nil {
                var item = QueueItem(kind: .verify, subject: fix.id, suite: suite, case: nil,
                                     action: "verify over the whole golden dataset and every guard (remedy ingest ... --verifies \(fix.id))",
                                     since: fix.position)
                item.mustInclude = mustInclude(suite: suite, state: state)
                items.append(item)
            } else if fix.gate == nil {
                items.append(QueueItem(kind: .gate, subject: fix.id, suite: suite, case: nil,
                                       action: "decide: remedy gate \(fix.id)", since: fix.position))
            } else if fix.gate!.decision != "auto-merge" && fix.reviews.isEmpty {
                items.append(QueueItem(kind: .review, subject: fix.id, suite: suite, case: nil,
                                       action: "a person reviews it: the gate said \(fix.gate!.decision) (\(fix.gate!.rule))", since: fix.position))
            }
        }
        for (id, quarantine) in state.quarantines {
            if let until = try? Timestamp(parsing: quarantine.until), until < now {
                items.append(QueueItem(kind: .quarantineExpired, subject: id.key, suite: id.suite, case: id.key,
                                       action: "the quarantine owned by \(quarantine.owner) expired on \(quarantine.until): fix, extend or end it",
                                       since: state.quarantinePositions[id] ?? state.position))
            }
        }
        return items.sorted {
            ($0.kind == .regression ? 0 : 1, $0.since, $0.subject) < ($1.kind == .regression ? 0 : 1, $1.since, $1.subject)
        }
    }

    /// The golden dataset of a suite (declared, else its last complete run) and its guards.
    public static func mustInclude(suite: String, state: LoopState) -> [String] {
        let cover = state.mustCover(suite: suite)
        return Array(Set(cover.golden + cover.guards)).sorted()
    }
}
