import Events

/// Finding a position by time: `recorded_at` never runs backwards in a ledger (every append
/// makes sure), so the first event at or after a time is a binary search over positions,
/// about 20 lookups for a million events, in any store.
package enum PositionSearch {
    /// The first position in `1...size` recorded at or after `time`, or `size + 1`.
    /// `recordedAt` reads one position's `recorded_at` text; a missing one (only in a damaged
    /// ledger) counts as later.
    package static func firstPosition(recordedAtOrAfter time: Timestamp, size: Int,
                                      recordedAt: (Int) throws -> String?) rethrows -> Int {
        let target = time.description
        var low = 1, high = size + 1
        while low < high {
            let middle = (low + high) / 2
            if let text = try recordedAt(middle), text < target { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
