import ArgumentParser
import LedgerStore

extension Remedy {
    /// `remedy status`: counts, size, tree head and last event.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status", abstract: "Print the event count, streams, file size, tree head and last event.")

        @OptionGroup var options: LedgerOptions
        @Flag(help: "Print the status as JSON.") var json = false

        func run() throws {
            try reportingErrors {
                let ledger = try options.openStore(.readOnly)
                let status = try ledger.status()
                if json {
                    try JSONOutput.print(Output(status))
                } else {
                    StandardOutput.shared.write(Self.text(status))
                }
                StandardOutput.shared.flush()
            }
        }

        static func text(_ status: LedgerStatus) -> String {
            var rows: [(String, String)] = [
                ("ledger", status.path),
                ("schema", "version \(status.schemaVersion)"),
                ("events", String(status.eventCount)),
                ("streams", String(status.streamCount)),
                ("file size", ByteCount.format(status.fileSize)),
                ("tree head", "size \(status.treeHead.size), root \(status.treeHead.root.hex)"),
            ]
            if let last = status.lastEvent {
                rows.append(("last event", "\(last.position) \(last.type) on \(last.stream) at \(last.recordedAt)"))
            }
            return Table.keyValue(rows)
        }

        /// `--json`: the ledger's file, schema, counts, tree head and last event (`null` when empty).
        struct Output: Encodable {
            var ledger: String
            var schemaVersion: Int
            var events: Int
            var streams: Int
            var fileSize: Int
            var treeHead: TreeHeadOutput
            @NullEncoded var lastEvent: LastEvent?

            struct TreeHeadOutput: Encodable {
                var size: Int
                var root: String
            }

            struct LastEvent: Encodable {
                var position: Int
                var id: String
                var stream: String
                var streamVersion: Int
                var type: String
                var recordedAt: String
            }

            init(_ status: LedgerStatus) {
                ledger = status.path
                schemaVersion = status.schemaVersion
                events = status.eventCount
                streams = status.streamCount
                fileSize = status.fileSize
                treeHead = TreeHeadOutput(size: status.treeHead.size, root: status.treeHead.root.hex)
                lastEvent = status.lastEvent.map {
                    LastEvent(position: $0.position, id: $0.id, stream: $0.stream, streamVersion: $0.streamVersion, type: $0.type, recordedAt: $0.recordedAt)
                }
            }
        }
    }
}

/// Human byte counts: 812 B, 4.2 MiB.
enum ByteCount {
    static func format(_ bytes: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        if unit == 0 { return "\(bytes) B" }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}
