import SystemIO

extension LineReader {
    /// The next line of a line-based report (TAP, go test -json), with a read error or an
    /// over-long line as the ingest error naming the file and line.
    func nextReportLine() throws -> ArraySlice<UInt8>? {
        do {
            return try nextLine()
        } catch let error as SystemIOError {
            throw IngestError(error.kind == .tooLarge ? .malformed : .unreadable, error.message)
        }
    }
}
