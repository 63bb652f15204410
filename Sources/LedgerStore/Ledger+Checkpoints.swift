import Events

extension Ledger {
    /// Every stored checkpoint, smallest size first.
    ///
    /// - Throws: ``LedgerError`` (`.corrupt` for a stored note that does not parse).
    public func checkpoints() throws -> [SignedCheckpoint] {
        try reading("read") {
            guard try hasTable("checkpoints") else { return [] }
            let statement = try connection.cachedStatement("SELECT size, note FROM checkpoints ORDER BY size")
            defer { statement.reset() }
            var all: [SignedCheckpoint] = []
            while try statement.step() { all.append(try storedCheckpoint(size: statement.int(0), note: statement.blob(1))) }
            return all
        }
    }

    /// Stores a signed checkpoint's note bytes (the caller has checked it belongs here).
    func insertCheckpoint(_ signed: SignedCheckpoint) throws {
        let insert = try connection.cachedStatement("INSERT INTO checkpoints (size, note, recorded_at) VALUES (?, ?, ?)")
        insert.bind(signed.checkpoint.size, at: 1)
        insert.bind(blob: signed.bytes, at: 2)
        insert.bind(Timestamp.now().description, at: 3)
        try insert.run()
    }

    private func storedCheckpoint(size: Int, note: [UInt8]) throws -> SignedCheckpoint {
        do {
            let signed = try SignedCheckpoint(parsing: note)
            guard signed.checkpoint.size == size else {
                throw LedgerError(.corrupt, "the checkpoint stored for size \(size) signs size \(signed.checkpoint.size); run `remedy verify`")
            }
            return signed
        } catch let error as LedgerError where error.code == .invalidKeyOrNote {
            throw LedgerError(.corrupt, "the checkpoint stored for size \(size) does not parse (\(error.message)); run `remedy verify`")
        }
    }
}
