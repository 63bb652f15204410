import Events

/// An inclusion proof of one event in the tree of `size` events (RFC 9162 §2.1.3).
public struct InclusionProof: Sendable, Equatable {
    /// The event's 0-based leaf index: its position minus one.
    public var index: Int
    public var size: Int
    public var leafHash: TreeHash
    /// From the leaf's sibling up to the root's child.
    public var hashes: [TreeHash]

    public var position: Int { index + 1 }

    /// Checks the proof against the root of a tree of `size` events.
    ///
    /// - Throws: ``LedgerError`` (`.verificationFailed`).
    public func verify(root: TreeHash) throws {
        try MerkleProof.verifyInclusion(leaf: leafHash, index: index, size: size, proof: hashes, root: root)
    }

    package init(index: Int, size: Int, leafHash: TreeHash, hashes: [TreeHash]) {
        self.index = index
        self.size = size
        self.leafHash = leafHash
        self.hashes = hashes
    }
}

/// A consistency proof: the tree of `to` events extends the tree of `from` events (RFC 9162 §2.1.4).
public struct ConsistencyProof: Sendable, Equatable {
    public var from: Int
    public var to: Int
    public var hashes: [TreeHash]

    public init(from: Int, to: Int, hashes: [TreeHash]) {
        self.from = from
        self.to = to
        self.hashes = hashes
    }

    /// Checks the proof between two roots.
    ///
    /// - Throws: ``LedgerError`` (`.verificationFailed`).
    public func verify(fromRoot: TreeHash, toRoot: TreeHash) throws {
        try MerkleProof.verifyConsistency(size1: from, size2: to, proof: hashes, root1: fromRoot, root2: toRoot)
    }

    /// The first line of the text form.
    public static let header = "remedy.ledger/consistency-proof@v1"

    /// The text form, in the manner of C2SP `tlog-proof`: a header line, `from M`, `to N`,
    /// then one base64 hash a line.
    public var text: [UInt8] {
        Array(([Self.header, "from \(from)", "to \(to)"] + hashes.map { Base64.encode($0.bytes) }).joined(separator: "\n").utf8) + [0x0A]
    }

    /// Parses the text form.
    ///
    /// - Throws: ``LedgerError`` (`.invalidKeyOrNote`) naming the line at fault.
    public init(parsing bytes: [UInt8]) throws {
        func malformed(_ why: String) -> LedgerError { LedgerError(.invalidKeyOrNote, "malformed consistency proof: \(why)") }
        guard bytes.last == 0x0A else { throw malformed("it does not end with a newline") }
        let lines = String(decoding: bytes.dropLast(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3, lines[0] == Substring(Self.header) else { throw malformed("the first line is not \(Self.header)") }
        func number(_ line: Substring, _ label: String) throws -> Int {
            guard line.hasPrefix(label + " "), let value = Int(line.dropFirst(label.count + 1)), value >= 0,
                  String(value) == line.dropFirst(label.count + 1) else { throw malformed("no '\(label) N' line") }
            return value
        }
        from = try number(lines[1], "from")
        to = try number(lines[2], "to")
        hashes = try lines.dropFirst(3).enumerated().map { offset, line in
            guard let data = Base64.decode(line), let hash = TreeHash(bytes: data) else {
                throw malformed("hash line \(offset + 1) is not the base64 of a 32-byte hash")
            }
            return hash
        }
    }
}
