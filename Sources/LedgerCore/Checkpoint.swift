/// A log checkpoint (C2SP `tlog-checkpoint`): the origin, the tree size and the root, the
/// body of a signed note. Two parties who hold the same verified checkpoint agree on every
/// byte of the first `size` events.
///
/// ```
/// ci.example.com/acme/evals
/// 1024
/// 3Q2kTmuS6Bq9Ua1r6wZ1Vm0H2u8n3D2T9E4uK1i7xQc=
/// ```
///
/// See <https://c2sp.org/tlog-checkpoint>.
public struct Checkpoint: Sendable, Equatable {
    public var origin: String
    public var size: Int
    public var root: TreeHash
    /// Extension lines after the root, kept but not interpreted.
    public var extensions: [String] = []

    public init(origin: String, size: Int, root: TreeHash) {
        self.origin = origin
        self.size = size
        self.root = root
    }

    /// The checkpoint a note's text states.
    ///
    /// - Throws: ``LedgerError`` (`.invalidKeyOrNote`) naming the line at fault.
    public init(text: String) throws {
        func malformed(_ why: String) -> LedgerError { LedgerError(.invalidKeyOrNote, "malformed checkpoint: \(why)") }
        guard text.hasSuffix("\n") else { throw malformed("the text does not end with a newline") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3 else { throw malformed("fewer than three lines (origin, size, root)") }
        guard !lines[0].isEmpty else { throw malformed("the origin line is empty") }
        let sizeLine = lines[1]
        guard let size = Int(sizeLine), size >= 0, String(size) == sizeLine else {
            throw malformed("the size line '\(sizeLine.prefix(40))' is not a decimal number")
        }
        guard let bytes = Base64.decode(lines[2]), let root = TreeHash(bytes: bytes) else {
            throw malformed("the root line is not the base64 of a 32-byte hash")
        }
        guard !lines.dropFirst(3).contains(where: \.isEmpty) else { throw malformed("an empty extension line") }
        self.origin = String(lines[0])
        self.size = size
        self.root = root
        self.extensions = lines.dropFirst(3).map(String.init)
    }

    /// The note text: origin, size and root, one a line.
    public var text: String {
        ([origin, String(size), Base64.encode(root.bytes)] + extensions).joined(separator: "\n") + "\n"
    }
}

/// A checkpoint in its signed note, as stored and handed out: the exact note bytes, and what
/// they say.
public struct SignedCheckpoint: Sendable, Equatable {
    public var note: SignedNote
    public var checkpoint: Checkpoint

    /// Reads a signed checkpoint from its note bytes (signatures not yet verified).
    ///
    /// - Throws: ``LedgerError`` (`.invalidKeyOrNote`).
    public init(parsing bytes: [UInt8]) throws {
        note = try SignedNote(parsing: bytes)
        checkpoint = try Checkpoint(text: note.text)
    }

    /// Signs a checkpoint.
    ///
    /// - Throws: ``LedgerError`` (`.invalidKeyOrNote`).
    public init(signing checkpoint: Checkpoint, with key: NoteSignerKey) throws {
        self.checkpoint = checkpoint
        note = try SignedNote(signing: checkpoint.text, with: key)
    }

    public var bytes: [UInt8] { note.bytes }

    /// Verifies the signature by a trusted key; returns the checkpoint.
    ///
    /// - Throws: ``LedgerError`` (`.verificationFailed`).
    @discardableResult
    public func verify(trusting keys: [NoteVerifierKey]) throws -> Checkpoint {
        try note.verify(trusting: keys)
        return checkpoint
    }
}
