import ArgumentParser
import Events
import LedgerStore

extension Remedy {
    /// `remedy show`: one event, for people (or its stored bytes with --json).
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show", abstract: "Show one event by position or event id.")

        @OptionGroup var options: LedgerOptions
        @Argument(help: ArgumentHelp("A global position, or an event id.", valueName: "position|event-id")) var event: String
        @Flag(help: "Print the stored bytes (canonical JSON) instead.") var json = false

        func run() throws {
            try reportingErrors {
                let ledger = try options.openStore(.readOnly)
                let stored: StoredEvent
                if let position = Int(event) {
                    stored = try ledger.event(position: position)
                } else {
                    stored = try ledger.event(id: try EventID(event))
                }
                let output = StandardOutput.shared
                if json {
                    output.writeLine(String(decoding: stored.body, as: UTF8.self))
                } else {
                    output.write(try Self.describe(stored))
                }
                output.flush()
            }
        }

        /// The readable form: envelope fields as a table, then the payload indented.
        static func describe(_ stored: StoredEvent) throws -> String {
            guard let envelope = try? EventEnvelope(decoding: stored.body) else {
                throw LedgerError(.corrupt, "the stored bytes of event \(stored.position) are not a valid envelope; run `remedy verify`")
            }
            var rows: [(String, String)] = [
                ("position", String(envelope.position)),
                ("id", envelope.id.rawValue),
                ("stream", "\(envelope.stream) (version \(envelope.streamVersion))"),
                ("type", "\(envelope.type) (schema \(envelope.schemaVersion))"),
                ("recorded at", envelope.recordedAt.description),
            ]
            let metadata = envelope.metadata
            for (name, value) in [("actor", metadata.actor), ("correlation id", metadata.correlationID),
                                  ("causation id", metadata.causationID), ("trace id", metadata.traceID)] {
                if let value { rows.append((name, value)) }
            }
            rows.append(("leaf hash", TreeHash(bytes: stored.leafHash)?.hex ?? "(damaged)"))
            var text = Table.keyValue(rows)
            text += "data\n  " + CanonicalJSON.prettyPrinted(envelope.data, indent: 1) + "\n"
            return text
        }
    }
}

/// Plain-text tables for terminals.
enum Table {
    /// Two columns, the keys padded to one width.
    static func keyValue(_ rows: [(String, String)]) -> String {
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0 + String(repeating: " ", count: width - $0.0.count + 2) + $0.1 + "\n" }.joined()
    }

    /// Columns under upper-case headers, each as wide as its widest cell; the last column is
    /// not padded. One line per row.
    static func render(_ headers: [String], _ rows: [[String]]) -> [String] {
        let all = [headers.map { $0.uppercased() }] + rows
        let widths = headers.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        return all.map { row in
            row.indices.map { $0 == row.count - 1 ? row[$0] : row[$0].padding(widths[$0] + 2) }.joined()
        }
    }
}
