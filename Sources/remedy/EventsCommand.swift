#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Events
import LedgerStore

extension Remedy {
    /// `remedy events`: the stored bytes of matching events as NDJSON, optionally following.
    struct EventsCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "events",
            abstract: "Stream events as NDJSON, the stored bytes one per line, in global order.")

        @OptionGroup var options: LedgerOptions
        @Option(help: "Only this stream (repeatable).") var stream: [String] = []
        @Option(help: "Only streams of this category, the part before '-' (repeatable).") var category: [String] = []
        @Option(help: "Only this event type (repeatable).") var type: [String] = []
        @Option(help: "From this position, inclusive.") var from: Int?
        @Option(help: "Up to this position, inclusive.") var to: Int?
        @Option(help: ArgumentHelp("Recorded at or after this time (RFC 3339 or a date).", valueName: "time")) var since: String?
        @Option(help: ArgumentHelp("Recorded before this time (RFC 3339 or a date).", valueName: "time")) var until: String?
        @Option(help: "At most this many events.") var limit: Int?
        @Flag(help: "Keep waiting for new events, like tail -f, until interrupted.") var follow = false

        func validate() throws {
            if let limit, limit < 0 { throw ValidationError("--limit must be 0 or more") }
        }

        func run() throws {
            try reportingErrors {
                let query = try makeQuery()
                let ledger = try options.openStore(.readOnly)
                let output = StandardOutput.shared
                let newline: [UInt8] = [0x0A]
                if follow {
                    try ledger.follow(query) { _, bytes in
                        output.write(bytes)
                        newline.withUnsafeBytes { output.write($0) }
                        return true
                    } afterEachRound: {
                        output.flush()
                        return true
                    }
                } else {
                    try ledger.forEachEvent(query) { _, _, _, bytes in
                        output.write(bytes)
                        newline.withUnsafeBytes { output.write($0) }
                        return true
                    }
                }
                output.flush()
            }
        }

        private func makeQuery() throws -> EventQuery {
            var query = EventQuery()
            query.streams = try stream.map { try StreamName($0) }
            for name in category { try StreamName.validateCategory(name) }
            query.categories = category
            query.types = try type.map { try EventType($0).rawValue }
            query.fromPosition = from
            query.toPosition = to
            query.since = try since.map { try Timestamp(parsing: $0) }
            query.until = try until.map { try Timestamp(parsing: $0) }
            query.limit = limit
            return query
        }
    }
}
