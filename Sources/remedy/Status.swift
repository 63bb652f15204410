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
                let ledger = try options.open(.readOnly)
                let status = try ledger.status()
                StandardOutput.shared.write(json ? Self.json(status) + "\n" : Self.text(status))
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

        static func json(_ status: LedgerStatus) -> String {
            let last: JSONText.Value = status.lastEvent.map {
                .object([("position", .int($0.position)), ("id", .string($0.id)), ("stream", .string($0.stream)),
                         ("stream_version", .int($0.streamVersion)), ("type", .string($0.type)),
                         ("recorded_at", .string($0.recordedAt))])
            } ?? .null
            return JSONText.object([
                ("ledger", .string(status.path)), ("schema_version", .int(status.schemaVersion)),
                ("events", .int(status.eventCount)), ("streams", .int(status.streamCount)),
                ("file_size", .int(status.fileSize)),
                ("tree_head", .object([("size", .int(status.treeHead.size)), ("root", .string(status.treeHead.root.hex))])),
                ("last_event", last),
            ])
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
