import LedgerStore
import RemediationLoop

extension EventStore {
    /// The state a decision would read of every entity `reference` holds, as the loop loads
    /// it from its working set and the case history (``LoopStateLoader``), in a transaction
    /// that appends nothing. Equal to `reference` when the working set is right.
    ///
    /// `bySuite` reads each suite's cases a part at a time for the whole suite, as a decision
    /// about many cases does, instead of case by case.
    func loadedState(like reference: LoopState, bySuite: Bool = false) throws -> LoopState {
        try write { writer in
            let loader = try LoopStateLoader(writer)
            for id in reference.failures.keys.sorted() { try loader.failure(id) }
            for id in reference.fixes.keys.sorted() { try loader.fix(id); try loader.record(ofFix: id) }
            for stream in reference.runs.keys.sorted() { try loader.run(stream) }
            let cases = Set(reference.cases.keys).union(reference.guards.keys).union(reference.openFailureByCase.keys)
                .union(reference.quarantines.keys)
            if bySuite {
                for suite in Set(cases.map(\.suite)).sorted() {
                    // Past the threshold of a suite read: the keys asked for, and more.
                    let keys = cases.filter { $0.suite == suite }.map(\.key)
                    try loader.cases(suite, keys + (0..<100).map { "no-such-case-\($0)" })
                }
            }
            for id in cases.sorted() { try loader.suiteCase(id) }
            for suite in Set(cases.map(\.suite)).sorted() { try loader.coverage(suite) }
            return loader.state
        }
    }

    /// ``loadedState(like:)`` of the fold of every event, and that fold.
    /// Read case by case and suite by suite, both must equal the fold.
    func loadedAndFolded() throws -> (loaded: LoopState, folded: LoopState) {
        let folded = try LoopState.fold(self)
        let loaded = try loadedState(like: folded)
        return (try loadedState(like: folded, bySuite: true) == loaded ? loaded : LoopState(), folded)
    }
}
