#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Events
import LedgerStore
import ReadViews
import RemediationLoop
import SystemIO

extension Remedy {
    /// `remedy append`: one event from flags, or a batch from NDJSON.
    struct Append: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "append",
            abstract: "Append one event, or a batch of events from NDJSON, and print the position.",
            discussion: """
            One event: --stream and --type, with the payload from --data JSON, --data @FILE or standard input.
            An event of the loop's catalogue is checked as the command that records it would check it (a
            GateDecided must be the adopted policy's decision, a FixMerged needs an auto-merge or an approval, ...);
            a refusal exits 8 and writes nothing.
            A batch: --ndjson FILE (or - for standard input), one {"stream", "type", "data", ...} object a line,
            appended all or nothing. Re-appending an existing event id with identical content changes nothing
            and prints the original position.
            """)

        @OptionGroup var options: LedgerOptions

        @Option(help: "The stream, category-id (e.g. fix-42).") var stream: String?
        @Option(help: "The event type (e.g. FixProposed).") var type: String?
        @Option(help: ArgumentHelp("The payload: a JSON object, or @FILE to read one.", valueName: "json|@file")) var data: String?
        @Option(help: ArgumentHelp("The event id (a UUID); generated when absent.", valueName: "uuid")) var id: String?
        @Option(help: "Who appends: a person, agent or CI job.") var actor: String?
        @Option(name: .customLong("correlation-id"), help: "Groups the events of one workflow.") var correlationID: String?
        @Option(name: .customLong("causation-id"), help: "The event or request that caused this one.") var causationID: String?
        @Option(name: .customLong("trace-id"), help: "A distributed-tracing id.") var traceID: String?
        @Option(name: .customLong("expect-version"), help: ArgumentHelp("Append only if the stream's current version is N (0: no events).", valueName: "n")) var expectVersion: Int?
        @Flag(name: .customLong("expect-new"), help: "Append only if the stream has no events yet.") var expectNew = false
        @Option(name: .customLong("schema-version"), help: "The payload's schema version (default 1).") var schemaVersion: Int?
        @Option(help: ArgumentHelp("Append a batch: one JSON event a line, from FILE or - (standard input).", valueName: "file|-")) var ndjson: String?
        @Flag(name: .customLong("init"), help: "Create the ledger if it does not exist (a first run in a script).") var initialize = false
        @Flag(help: "Print the result as JSON.") var json = false

        /// What these arguments ask for.
        var request: AppendRequest {
            AppendRequest(ledger: options.ledger, busyTimeout: options.busyTimeout, stream: stream, type: type, data: data, id: id, actor: actor,
                          correlationID: correlationID, causationID: causationID, traceID: traceID, expectVersion: expectVersion,
                          expectNew: expectNew, schemaVersion: schemaVersion, ndjson: ndjson, initialize: initialize, json: json)
        }

        func validate() throws {
            try request.validate()
        }

        func run() throws {
            try request.run()
        }
    }
}

/// What `remedy append` was asked to do, however its arguments were read: by ArgumentParser
/// (``Remedy/Append``) or directly (``Remedy/Append/direct(_:)``).
struct AppendRequest: Equatable {
    var ledger: String?
    var busyTimeout: Double
    var stream: String?
    var type: String?
    var data: String?
    var id: String?
    var actor: String?
    var correlationID: String?
    var causationID: String?
    var traceID: String?
    var expectVersion: Int?
    var expectNew: Bool
    var schemaVersion: Int?
    var ndjson: String?
    var initialize: Bool
    var json: Bool

    /// The combinations `append` refuses, as usage errors.
    func validate() throws {
        try LedgerOptions.check(busyTimeout: busyTimeout)
        if ndjson != nil {
            let single: [String?] = [stream, type, data, id, actor, correlationID, causationID, traceID]
            if single.contains(where: { $0 != nil }) || expectVersion != nil || expectNew || schemaVersion != nil {
                throw ValidationError("--ndjson takes its events from the batch; per-event options go in each line")
            }
            return
        }
        if stream == nil { throw ValidationError("missing --stream (or use --ndjson for a batch)") }
        if type == nil { throw ValidationError("missing --type") }
        if expectNew && expectVersion != nil { throw ValidationError("use --expect-new or --expect-version, not both") }
        if let expectVersion, expectVersion < 0 { throw ValidationError("--expect-version must be 0 or more") }
    }

    func run() throws {
        try reportingErrors {
            // Input first: bad input must fail before the ledger is created or touched.
            if let ndjson {
                let reader = ndjson == "-"
                    ? try InputFile.spooledBatch(fileDescriptor: 0, name: "standard input")
                    : try LineReader(batchAt: ndjson)
                let ledger = try open()
                printBatch(try LoopSteps(ledger: ledger).appendNDJSON(from: reader))
            } else {
                let event = try proposedEvent()
                let ledger = try open()
                printSingle(try LoopSteps(ledger: ledger).append(event))
            }
            StandardOutput.shared.flush()
        }
    }

    private func open() throws -> any EventStore {
        try LedgerOptions.openStore(ledger, busyTimeout: busyTimeout, .readWrite, create: initialize ? .ifMissing() : .never)
    }

    private func proposedEvent() throws -> ProposedEvent {
        let expected: ExpectedVersion = expectNew ? .noStream : expectVersion.map { .exactly($0) } ?? .any
        let json: [UInt8]
        if let data, !data.hasPrefix("@") {
            json = Array(data.utf8)
        } else if let data {
            json = try InputFile.readPayload(path: String(data.dropFirst()))
        } else {
            guard isatty(0) == 0 else {
                throw EventError(.notAnObject, "no payload: pass --data JSON, --data @FILE, or pipe a JSON object on standard input")
            }
            json = try InputFile.readPayload(path: nil)
        }
        return try ProposedEvent(
            stream: try StreamName(stream!), type: try EventType(type!), json: json,
            id: try id.map { try EventID($0) },
            metadata: EventMetadata(actor: actor, correlationID: correlationID, causationID: causationID, traceID: traceID),
            expectedVersion: expected, schemaVersion: schemaVersion ?? ProposedEvent.defaultSchemaVersion)
    }

    /// `--json` for one event: where it went, and whether it was there already.
    struct SingleOutput: Encodable {
        var position: Int
        var id: String
        var stream: String
        var streamVersion: Int
        var duplicate: Bool
    }

    /// `--json` for a batch: what was appended, and the tree head after it.
    struct BatchOutput: Encodable {
        var appended: Int
        var duplicates: Int
        @NullEncoded var firstPosition: Int?
        @NullEncoded var lastPosition: Int?
        var treeSize: Int
        var root: String
    }

    private func printSingle(_ result: AppendResult) {
        if json {
            try? JSONOutput.print(SingleOutput(position: result.position, id: result.id.rawValue, stream: result.stream.rawValue,
                                               streamVersion: result.streamVersion, duplicate: result.isDuplicate))
        } else {
            StandardOutput.shared.writeLine(String(result.position))
        }
    }

    private func printBatch(_ result: BatchResult) {
        if json {
            try? JSONOutput.print(BatchOutput(appended: result.appended, duplicates: result.duplicates, firstPosition: result.firstPosition,
                                              lastPosition: result.lastPosition, treeSize: result.treeHead.size, root: result.treeHead.root.hex))
        } else if let first = result.firstPosition, let last = result.lastPosition {
            StandardOutput.shared.writeLine("appended \(result.appended) events at positions \(first)-\(last), \(result.duplicates) already present")
        } else {
            StandardOutput.shared.writeLine("appended 0 events, \(result.duplicates) already present")
        }
    }
}
