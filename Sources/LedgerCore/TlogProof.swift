/// A single event's proof in the C2SP `tlog-proof` text form: the index, the inclusion proof
/// (one base64 hash a line, the leaf's sibling first) and, after a blank line, the signed
/// checkpoint it leads to, verbatim.
///
/// ```
/// c2sp.org/tlog-proof@v1
/// index 41
/// gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
/// ...
///
/// ci.example.com/acme/evals
/// 1024
/// ...
/// ```
///
/// See <https://c2sp.org/tlog-proof>.
public struct TlogProof: Sendable, Equatable {
    public static let header = "c2sp.org/tlog-proof@v1"

    /// The leaf's 0-based index: the event's position minus one.
    public var index: Int
    public var hashes: [TreeHash]
    /// The checkpoint's note bytes, exactly as signed.
    public var checkpoint: [UInt8]
    /// Opaque extra data (not authenticated).
    public var extra: [UInt8]?

    public init(index: Int, hashes: [TreeHash], checkpoint: [UInt8], extra: [UInt8]? = nil) {
        self.index = index
        self.hashes = hashes
        self.checkpoint = checkpoint
        self.extra = extra
    }

    /// The text form.
    public var bytes: [UInt8] {
        var lines = [Self.header]
        if let extra { lines.append("extra " + Base64.encode(extra)) }
        lines.append("index \(index)")
        lines += hashes.map { Base64.encode($0.bytes) }
        return Array((lines.joined(separator: "\n") + "\n\n").utf8) + checkpoint
    }

    /// Parses the text form.
    ///
    /// - Throws: ``LedgerError`` (`.invalidKeyOrNote`) naming the line at fault.
    public init(parsing bytes: [UInt8]) throws {
        func malformed(_ why: String) -> LedgerError { LedgerError(.invalidKeyOrNote, "malformed tlog-proof: \(why)") }
        guard let blank = (0..<max(0, bytes.count - 1)).first(where: { bytes[$0] == 0x0A && bytes[$0 + 1] == 0x0A }) else {
            throw malformed("no blank line before the checkpoint")
        }
        let head = String(decoding: bytes[..<blank], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard head.first == Substring(Self.header) else { throw malformed("the first line is not \(Self.header)") }
        var rest = head.dropFirst()
        if let line = rest.first, line.hasPrefix("extra ") {
            guard let data = Base64.decode(line.dropFirst(6)) else { throw malformed("the extra line is not base64") }
            extra = data
            rest = rest.dropFirst()
        }
        guard let indexLine = rest.first, indexLine.hasPrefix("index "),
              let index = Int(indexLine.dropFirst(6)), index >= 0, String(index) == indexLine.dropFirst(6) else {
            throw malformed("no 'index N' line")
        }
        self.index = index
        hashes = try rest.dropFirst().enumerated().map { offset, line in
            guard let data = Base64.decode(line), let hash = TreeHash(bytes: data) else {
                throw malformed("proof line \(offset + 1) is not the base64 of a 32-byte hash")
            }
            return hash
        }
        checkpoint = Array(bytes[(blank + 2)...])
    }

    /// Verifies the proof: the checkpoint is signed by a trusted key, and `leaf` (the hash of
    /// the event's stored bytes) is included at `index` in the tree it signs.
    ///
    /// - Throws: ``LedgerError`` (`.verificationFailed` or `.invalidKeyOrNote`).
    @discardableResult
    public func verify(leaf: TreeHash, trusting keys: [NoteVerifierKey]) throws -> Checkpoint {
        let signed = try SignedCheckpoint(parsing: checkpoint).verify(trusting: keys)
        try MerkleProof.verifyInclusion(leaf: leaf, index: index, size: signed.size, proof: hashes, root: signed.root)
        return signed
    }
}
