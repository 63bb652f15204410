/// Whether opening a ledger may create it, in any store.
///
/// ```swift
/// let ledger = try Ledger.open(path, mode: .readWrite, create: .ifMissing(origin: "ci.example.com/evals"))
/// ```
public enum LedgerCreation: Sendable, Equatable {
    /// The ledger must exist: every command but `init`, `demo` and `--init`.
    case never
    /// Create it when missing, with `origin` (nil: a generated one). An existing ledger
    /// keeps its own origin.
    case ifMissing(origin: String? = nil)
}
