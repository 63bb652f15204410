import Events
import LedgerStore
import Projections

/// The checks of `events.ndjson`, line by line: each line an envelope in the ledger's exact
/// layout, positions consecutive, stream versions gapless, time never running backwards, and
/// every leaf hashed into the tree whose root the checkpoint signs (or, for a partial range,
/// kept for each event's inclusion proof).
///
/// This is the verifier's hot path: a line costs a layout scan and a SHA-256, nothing parsed
/// in full, unless the line is wrong, when ``diagnose(_:number:)`` finds out why.
struct EventChecks {
    static let member = BundleMember.events

    let checkpoint: Checkpoint
    private let verifier: BundleVerifier
    private var known: [Int: TreeHash]
    private(set) var knownReached: [Int] = []

    /// The first line's position (0 until it is read) and the lines read.
    private(set) var first = 0
    private(set) var count = 0
    private var range = CompactRange()
    /// Every leaf hash, for the inclusion proofs of a part of the tree (whether the bundle is
    /// one is known only at its end): on disk, not in memory.
    let leaves: LeafSpool
    /// Each stream's last version, for the first ``maximumStreams`` streams: a check that
    /// names the line, where the root alone could not (it vouches for the rest anyway).
    private var streams: [String: Int] = [:]
    static let maximumStreams = 50_000
    /// Event types are few; a bundle with more is refused before it fills memory.
    static let maximumTypes = 10_000
    private var lastRecordedAt: [UInt8] = []
    private(set) var byType: [String: Int] = [:]
    private var lastType: (bytes: [UInt8], key: String) = ([], "")
    private(set) var policies = Set<String>()
    /// A position ahead of the expected one: failed at the next line, which tells a missing
    /// event from two swapped lines.
    private var gap: (line: Int, expected: Int, found: Int)?
    private var splitter = LineSplitter(member: EventChecks.member)
    private var replay: Replay?

    init(checkpoint: Checkpoint, verifier: BundleVerifier, known: [Int: TreeHash]) throws {
        leaves = try LeafSpool()
        self.checkpoint = checkpoint
        self.verifier = verifier
        self.known = known
        if !verifier.replay.isEmpty { replay = try Replay(verifier.replay) }
    }

    /// Whether the events are the whole tree the checkpoint signs (else a part of it, whose
    /// events each need an inclusion proof).
    var isWhole: Bool { first == 1 && count == checkpoint.size }

    private func fail(_ message: String) -> BundleError { BundleError.failed(Self.member, message) }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, onEvent: ((VerifiedEvent) throws -> Void)?, progress: (Int) -> Void) throws {
        // The splitter is taken out while it calls back into self.
        var splitter = LineSplitter(member: Self.member)
        swap(&splitter, &self.splitter)
        defer { swap(&splitter, &self.splitter) }
        try splitter.feed(bytes) { line, number in
            try check(line, number: number, onEvent: onEvent)
            if number % 65_536 == 0 { progress(number) }
        }
    }

    private mutating func check(_ line: UnsafeRawBufferPointer, number: Int, onEvent: ((VerifiedEvent) throws -> Void)?) throws {
        if line.last == 0x0D { throw fail("line \(number) ends with a carriage return: the line ends were changed to CRLF") }
        guard let header = StoredEnvelopeHeader(line) else { throw Self.diagnose(line, number: number) }
        guard header.stream.count <= StreamName.maximumLength, header.type.count <= EventType.maximumLength,
              header.id.count <= 64, header.recordedAt.count <= 64 else {
            throw fail("line \(number): a header field is longer than an envelope's can be")
        }
        if first == 0 {
            guard header.position >= 1 else { throw fail("line 1 holds position \(header.position)") }
            first = header.position
            if replay != nil, first != 1 {
                throw fail("starts at position \(first): --replay rebuilds the read models from the first event, which this bundle does not hold")
            }
        }
        let expected = first + count
        if let gap {
            throw fail(header.position == gap.expected
                ? "lines \(gap.line) and \(number) are swapped (positions \(gap.found) and \(gap.expected))"
                : "position \(gap.expected) is missing (line \(gap.line) holds position \(gap.found))")
        }
        if header.position != expected {
            if header.position > expected {
                gap = (number, expected, header.position)
                return
            }
            throw fail(header.position == expected - 1
                ? "line \(number) repeats position \(header.position) (an event appears twice)"
                : "line \(number) holds position \(header.position) after \(expected - 1): the lines are out of order")
        }
        guard header.position <= checkpoint.size else {
            throw fail("line \(number) holds position \(header.position), beyond the \(checkpoint.size) events the checkpoint signs (an event was added)")
        }
        guard header.schemaVersion >= 1 else { throw fail("line \(number) has schema version \(header.schemaVersion)") }
        let leaf = MerkleTree.leafHash(line)
        try leaves.append(leaf)
        if first == 1 {
            range.append(leaf)
            if let root = known[range.size] {
                guard root == range.root else {
                    throw fail("the first \(range.size) events do not hash to the root of the kept checkpoint of that size: the log was rewritten since")
                }
                knownReached.append(range.size)
            }
        }
        let recordedAt = UnsafeRawBufferPointer(rebasing: line[header.recordedAt])
        if recordedAt.lexicographicallyPrecedes(lastRecordedAt) {
            throw fail("line \(number): recorded_at \(String(decoding: recordedAt, as: UTF8.self)) is earlier than the event before's")
        }
        lastRecordedAt.removeAll(keepingCapacity: true)
        lastRecordedAt.append(contentsOf: recordedAt)
        let stream = header.text(header.stream, in: line)
        if let previous = streams[stream] {
            guard header.streamVersion == previous + 1 else {
                throw fail("line \(number): stream \(stream) goes from version \(previous) to \(header.streamVersion)")
            }
            streams[stream] = header.streamVersion
        } else if streams.count < Self.maximumStreams {
            if first == 1, header.streamVersion != 1 {
                throw fail("line \(number): stream \(stream) starts at version \(header.streamVersion), not 1")
            }
            streams[stream] = header.streamVersion
        }
        let type = UnsafeRawBufferPointer(rebasing: line[header.type])
        if !type.elementsEqual(lastType.bytes) { lastType = (Array(type), header.text(header.type, in: line)) }
        byType[lastType.key, default: 0] += 1
        guard byType.count <= Self.maximumTypes else { throw fail("line \(number): more than \(Self.maximumTypes) event types: refused") }
        let data = UnsafeRawBufferPointer(rebasing: line[header.data])
        if lastType.key == LoopEventType.policyAdopted.rawValue {
            guard let adopted = try? LoopPayload.decode(PolicyAdopted.self, from: data),
                  SHA256Hex.of(Array(adopted.text.utf8)) == adopted.policySHA256 else {
                throw fail("line \(number): a PolicyAdopted whose text does not hash to its policy_sha256")
            }
            policies.insert(adopted.policySHA256)
        }
        if replay != nil {
            let recorded = header.text(header.recordedAt, in: line)
            try replay!.fold(position: header.position, type: lastType.key, stream: stream, recordedAt: recorded, data: data, line: number)
        }
        count += 1
        try onEvent?(VerifiedEvent(header: header, line: line, leafHash: leaf))
    }

    mutating func finish() throws {
        try splitter.finish()
        if let gap { throw fail("position \(gap.expected) is missing (line \(gap.line) holds position \(gap.found))") }
        try leaves.finish()
        // A part of the tree is checked event by event against the inclusion proofs.
        guard isWhole else { return }
        guard range.root == checkpoint.root else {
            throw BundleError(.verificationFailed, "\(BundleChecks.rootMismatch) the root the checkpoint signs (\(range.root.hex), not \(checkpoint.root.hex)): an event was changed after it was signed")
        }
    }

    /// The read models rebuilt from the events: each table's snapshot SHA-256 (hex).
    func replayedTables() throws -> [String: String] {
        try replay?.tables() ?? [:]
    }

    /// Why a line is not an envelope in the ledger's layout.
    static func diagnose(_ line: UnsafeRawBufferPointer, number: Int) -> BundleError {
        func fail(_ message: String) -> BundleError { BundleError.failed(member, message) }
        let canonical: [UInt8]
        do { canonical = try CanonicalJSON.canonicalize(line) } catch {
            return fail("line \(number) is not valid JSON: \((error as? EventError)?.message ?? "\(error)")")
        }
        guard canonical.elementsEqual(line) else {
            return fail("line \(number) is not in canonical form (keys reordered, spaces added or escapes changed): it is not the bytes the ledger stored")
        }
        do { _ = try EventEnvelope(decoding: line) } catch {
            return fail("line \(number) is not an event envelope: \((error as? EventError)?.message ?? "\(error)")")
        }
        return fail("line \(number) does not have the layout of a stored envelope")
    }
}

/// The read models rebuilt from a bundle's events, in memory, for `--replay`.
///
/// A projection with retroactive event types (``Projection/retroactiveTypes``) folds the
/// latest such event first: the events it reads are kept in a temporary file as they stream
/// by, and if one turned up, it is folded again from them, with that event first.
final class Replay {
    private let projections: [any Projection.Type]
    private var memories: [MemoryRows]
    private var readers: [String: [Int]] = [:]
    /// The events the retroactive projections read, for a second fold.
    private let spool: Spool?
    private var preludes: [Int: ProjectedEvent] = [:]

    init(_ projections: [any Projection.Type]) throws {
        self.projections = projections
        memories = projections.map { MemoryRows($0) }
        for (index, projection) in projections.enumerated() {
            for type in Set(projection.eventTypes) { readers[type, default: []].append(index) }
        }
        spool = projections.contains { !$0.retroactiveTypes.isEmpty } ? try Spool() : nil
    }

    func fold(position: Int, type: String, stream: String, recordedAt: String, data: UnsafeRawBufferPointer, line: Int) throws {
        guard let indices = readers[type] else { return }
        let event = ProjectedEvent(position: position, type: type, stream: stream, recordedAt: recordedAt, data: Array(data))
        event.prepare()
        var spooled = false
        for index in indices {
            let projection = projections[index]
            if !projection.retroactiveTypes.isEmpty {
                if projection.retroactiveTypes.contains(type) { preludes[index] = event }
                if !spooled, let spool {
                    try spool.write(SpooledEvent.encode(event))
                    spooled = true
                }
            }
            try apply(event, index, line: line)
        }
    }

    private func apply(_ event: ProjectedEvent, _ index: Int, line: Int?) throws {
        do {
            memories[index].apply(try projections[index].apply(event, rows: memories[index]))
        } catch {
            let at = line.map { "line \($0)" } ?? "position \(event.position)"
            throw BundleError.failed(BundleMember.events, "\(at): the event does not fold into the \(projections[index].name) read model: \(DecodingErrorText.describe(error))")
        }
    }

    /// Each table's snapshot SHA-256 (hex), the retroactive projections folded again first
    /// when a retroactive event turned up.
    func tables() throws -> [String: String] {
        if let spool, !preludes.isEmpty {
            for (index, prelude) in preludes {
                memories[index] = MemoryRows(projections[index])
                try apply(prelude, index, line: nil)
            }
            try SpooledEvent.forEach(in: spool) { event in
                for index in readers[event.type] ?? [] where preludes[index] != nil { try apply(event, index, line: nil) }
            }
        }
        var out: [String: String] = [:]
        for (index, projection) in projections.enumerated() {
            for table in projection.tables {
                out[table.name] = SHA256Hex.of(ReadModelSnapshot.lines(memories[index].rows(table.name), table: table))
            }
        }
        return out
    }
}

/// An event in a replay's spool: its position, then the lengths and bytes of its type,
/// stream, recorded time and payload.
enum SpooledEvent {
    static func encode(_ event: ProjectedEvent) -> [UInt8] {
        let fields = [Array(event.type.utf8), Array(event.stream.utf8), Array(event.recordedAt.utf8), event.data]
        var bytes = number(event.position)
        for field in fields { bytes += number(field.count) }
        for field in fields { bytes += field }
        return bytes
    }

    /// Reads the spool back in order, a megabyte at a time.
    static func forEach(in spool: Spool, _ body: (ProjectedEvent) throws -> Void) throws {
        var buffer: [UInt8] = [], start = 0, offset = 0
        func available(_ count: Int) throws -> Bool {
            while buffer.count - start < count {
                guard offset < spool.size else { return false }
                if start > 0 { buffer.removeFirst(start); start = 0 }
                let wanted = min(max(1 << 20, count), spool.size - offset)
                try spool.read(from: offset, count: wanted) { buffer += $0 }
                offset += wanted
            }
            return true
        }
        while try available(40) {
            let header = (0..<5).map { field in buffer[(start + field * 8)..<(start + field * 8 + 8)].reduce(0) { $0 << 8 | Int($1) } }
            let lengths = header[1...].reduce(0, +)
            guard try available(40 + lengths) else { throw BundleError(.io, "a temporary file ended early") }
            var cursor = start + 40
            var fields: [[UInt8]] = []
            for length in header[1...] {
                fields.append(Array(buffer[cursor..<(cursor + length)]))
                cursor += length
            }
            start = cursor
            let event = ProjectedEvent(position: header[0], type: String(decoding: fields[0], as: UTF8.self),
                                       stream: String(decoding: fields[1], as: UTF8.self), recordedAt: String(decoding: fields[2], as: UTF8.self),
                                       data: fields[3])
            event.prepare()
            try body(event)
        }
    }

    private static func number(_ value: Int) -> [UInt8] {
        (0..<8).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
    }
}

/// Leaf hashes in a temporary file, written in order and read back in order: what the
/// inclusion proofs of a part of the tree are checked against, without holding 32 bytes an
/// event in memory.
final class LeafSpool {
    private let spool: Spool
    private var readBuffer: [UInt8] = []
    private var bufferStart = 0

    init() throws {
        spool = try Spool()
    }

    var count: Int { spool.size / 32 }

    func append(_ leaf: TreeHash) throws {
        try spool.write(leaf.bytes)
    }

    /// Makes everything written readable.
    func finish() throws {
        try spool.read(from: 0, count: 0) { _ in }
    }

    /// The leaf at `index`; read sequentially, as proofs come in position order.
    func leaf(at index: Int) throws -> TreeHash {
        let offset = index * 32
        if offset < bufferStart || offset + 32 > bufferStart + readBuffer.count {
            readBuffer.removeAll(keepingCapacity: true)
            bufferStart = offset
            let wanted = min(1 << 16, spool.size - offset)
            try spool.read(from: offset, count: wanted) { readBuffer += $0 }
        }
        let start = offset - bufferStart
        return TreeHash(bytes: readBuffer[start..<(start + 32)])!
    }
}
