extension Ledger {
    /// The ledger's origin: the first line of its checkpoints.
    ///
    /// - Throws: ``LedgerError`` (`.notALedger`) for a ledger from before origins, opened read-only
    ///   (opening it once for writing gives it one).
    public func origin() throws -> String {
        try mapErrors("read") {
            guard try hasTable("ledger_identity"),
                  let origin = try connection.scalarText("SELECT origin FROM ledger_identity WHERE id = 1") else {
                throw LedgerError(.notALedger, "the ledger \(location.path) has no origin yet (an older remedy wrote it): open it once for writing, with any command that writes, to give it one")
            }
            return origin
        }
    }
}
