import LedgerStore
import RemediationLoop

extension Ledger {
    /// The state a decision would read of every entity `reference` holds, as the loop loads
    /// it from its working set and the case history (``LoopStateLoader``), in a transaction
    /// that appends nothing. Equal to `reference` when the working set is right.
    func loadedState(like reference: LoopState) throws -> LoopState {
        try write { writer in
            let loader = try LoopStateLoader(writer)
            for id in reference.failures.keys.sorted() { try loader.failure(id) }
            for id in reference.fixes.keys.sorted() { try loader.fix(id) }
            for stream in reference.runs.keys.sorted() { try loader.run(stream) }
            let cases = Set(reference.cases.keys).union(reference.guards.keys).union(reference.openFailureByCase.keys)
                .union(reference.quarantines.keys)
            for id in cases.sorted() { try loader.suiteCase(id) }
            for suite in Set(cases.map(\.suite)).sorted() { try loader.coverage(suite) }
            return loader.state
        }
    }

    /// ``loadedState(like:)`` of the fold of every event, and that fold.
    func loadedAndFolded() throws -> (loaded: LoopState, folded: LoopState) {
        let folded = try LoopState.fold(self)
        return (try loadedState(like: folded), folded)
    }
}
