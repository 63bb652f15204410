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
    /// A partial range's leaf hashes, for the inclusion proofs that follow.
    private(set) var leaves: [TreeHash] = []
    private var streams: [String: Int] = [:]
    private var lastRecordedAt: [UInt8] = []
    private(set) var byType: [String: Int] = [:]
    private var lastType: (bytes: [UInt8], key: String) = ([], "")
    private(set) var policies = Set<String>()
    /// A position ahead of the expected one: failed at the next line, which tells a missing
    /// event from two swapped lines.
    private var gap: (line: Int, expected: Int, found: Int)?
    private var splitter = LineSplitter(member: EventChecks.member)
    private var replay: Replay?

    init(checkpoint: Checkpoint, verifier: BundleVerifier, known: [Int: TreeHash]) {
        self.checkpoint = checkpoint
        self.verifier = verifier
        self.known = known
        if !verifier.replay.isEmpty { replay = Replay(verifier.replay) }
    }

    private var full: Bool { first == 1 }

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
        if full {
            range.append(leaf)
            if let root = known[range.size] {
                guard root == range.root else {
                    throw fail("the first \(range.size) events do not hash to the root of the kept checkpoint of that size: the log was rewritten since")
                }
                knownReached.append(range.size)
            }
        } else {
            leaves.append(leaf)
        }
        let recordedAt = UnsafeRawBufferPointer(rebasing: line[header.recordedAt])
        if recordedAt.lexicographicallyPrecedes(lastRecordedAt) {
            throw fail("line \(number): recorded_at \(String(decoding: recordedAt, as: UTF8.self)) is earlier than the event before's")
        }
        lastRecordedAt.removeAll(keepingCapacity: true)
        lastRecordedAt.append(contentsOf: recordedAt)
        let stream = String(decoding: UnsafeRawBufferPointer(rebasing: line[header.stream]), as: UTF8.self)
        if let previous = streams[stream] {
            guard header.streamVersion == previous + 1 else {
                throw fail("line \(number): stream \(stream) goes from version \(previous) to \(header.streamVersion)")
            }
        } else if full, header.streamVersion != 1 {
            throw fail("line \(number): stream \(stream) starts at version \(header.streamVersion), not 1")
        }
        streams[stream] = header.streamVersion
        let type = UnsafeRawBufferPointer(rebasing: line[header.type])
        if !type.elementsEqual(lastType.bytes) { lastType = (Array(type), String(decoding: type, as: UTF8.self)) }
        byType[lastType.key, default: 0] += 1
        let data = UnsafeRawBufferPointer(rebasing: line[header.data])
        if lastType.key == LoopEventType.policyAdopted.rawValue {
            guard let adopted = try? LoopPayload.decode(PolicyAdopted.self, from: data),
                  SHA256Hex.of(Array(adopted.text.utf8)) == adopted.policySHA256 else {
                throw fail("line \(number): a PolicyAdopted whose text does not hash to its policy_sha256")
            }
            policies.insert(adopted.policySHA256)
        }
        if replay != nil {
            let recorded = String(decoding: recordedAt, as: UTF8.self)
            try replay!.fold(position: header.position, type: lastType.key, stream: stream, recordedAt: recorded, data: data, line: number)
        }
        count += 1
        try onEvent?(VerifiedEvent(header: header, line: line, leafHash: leaf))
    }

    mutating func finish() throws {
        try splitter.finish()
        if let gap { throw fail("position \(gap.expected) is missing (line \(gap.line) holds position \(gap.found))") }
        guard full else { return }
        guard count == checkpoint.size else {
            throw fail("holds \(count) events, but the checkpoint signs \(checkpoint.size): events \(count + 1)-\(checkpoint.size) are missing (the bundle was cut short)")
        }
        guard range.root == checkpoint.root else {
            throw BundleError(.verificationFailed, "\(BundleChecks.rootMismatch) the root the checkpoint signs (\(range.root.hex), not \(checkpoint.root.hex)): an event was changed after it was signed")
        }
    }

    /// The read models rebuilt from the events: each table's snapshot SHA-256 (hex bytes).
    func replayedTables() throws -> [String: [UInt8]] {
        replay?.tables() ?? [:]
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
struct Replay {
    private let projections: [any Projection.Type]
    private let memories: [MemoryRows]
    private var readers: [String: [Int]] = [:]

    init(_ projections: [any Projection.Type]) {
        self.projections = projections
        memories = projections.map { MemoryRows($0) }
        for (index, projection) in projections.enumerated() {
            for type in Set(projection.eventTypes) { readers[type, default: []].append(index) }
        }
    }

    func fold(position: Int, type: String, stream: String, recordedAt: String, data: UnsafeRawBufferPointer, line: Int) throws {
        guard let indices = readers[type] else { return }
        let event = ProjectedEvent(position: position, type: type, stream: stream, recordedAt: recordedAt, data: Array(data))
        event.prepare()
        for index in indices {
            do {
                memories[index].apply(try projections[index].apply(event, rows: memories[index]))
            } catch {
                throw BundleError.failed(BundleMember.events, "line \(line): the event does not fold into the \(projections[index].name) read model: \(DecodingErrorText.describe(error))")
            }
        }
    }

    func tables() -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for (index, projection) in projections.enumerated() {
            for table in projection.tables {
                out[table.name] = Array(SHA256Hex.of(ReadModelSnapshot.lines(memories[index].rows(table.name), table: table)).utf8)
            }
        }
        return out
    }
}
