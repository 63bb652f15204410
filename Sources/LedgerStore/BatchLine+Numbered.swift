import Events

extension BatchLine {
    /// Decodes a batch line, or returns nil for a blank one; errors name `context` (`line 12`).
    ///
    /// - Throws: ``LedgerError`` with code `.invalidEvent`.
    static func decodeUnlessBlank(_ line: some Collection<UInt8>, at context: String) throws -> ProposedEvent? {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
        do {
            return try decode(line)
        } catch let error as EventError {
            throw LedgerError(error, at: context)
        }
    }
}
