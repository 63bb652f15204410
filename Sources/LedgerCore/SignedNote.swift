/// A note signed by one or more keys (C2SP `signed-note`): a text ending in a newline, a blank
/// line, and signature lines `— name base64(keyid ‖ signature)`.
///
/// Checkpoints are signed notes. Parsing is strict, as Go's `sumdb/note` is: UTF-8 only, no
/// control characters but newlines, at most 100 signatures. Verifying follows the spec:
/// signatures by unknown keys are ignored, a known key's signature that fails rejects the
/// note, and a note without a verified signature is rejected.
/// See <https://c2sp.org/signed-note>.
///
/// ```swift
/// let note = try SignedNote(parsing: bytes)
/// let signers = try note.verify(trusting: [try NoteVerifierKey(vkey)])
/// ```
public struct SignedNote: Sendable, Equatable {
    /// One signature line.
    public struct Signature: Sendable, Equatable {
        public var name: String
        public var keyID: UInt32
        /// The signature proper, after the key id.
        public var bytes: [UInt8]
    }

    /// The signed text, with its final newline.
    public var text: String
    public var signatures: [Signature]

    /// The most signature lines a note may carry.
    public static let maximumSignatures = 100
    /// The largest note read, in bytes.
    public static let maximumSize = 1 << 20

    /// Parses a note's exact bytes.
    ///
    /// - Throws: ``LedgerError`` (`.invalidKeyOrNote`) saying what is malformed.
    public init(parsing bytes: [UInt8]) throws {
        func malformed(_ why: String) -> LedgerError { LedgerError(.invalidKeyOrNote, "malformed signed note: \(why)") }
        guard bytes.count <= Self.maximumSize else { throw malformed("larger than \(Self.maximumSize) bytes") }
        guard let whole = String(validating: bytes, as: UTF8.self) else { throw malformed("not valid UTF-8") }
        if let control = bytes.first(where: { $0 < 0x20 && $0 != 0x0A }) {
            throw malformed("control character 0x\(String(control, radix: 16)) (only newlines are allowed)")
        }
        // The text ends at the last blank line; the signatures follow it.
        guard let separator = Self.lastBlankLine(bytes) else { throw malformed("no blank line before the signatures") }
        let textBytes = bytes[..<(separator + 1)]
        let signatureBytes = bytes[(separator + 2)...]
        guard !signatureBytes.isEmpty else { throw malformed("no signature lines") }
        guard signatureBytes.last == 0x0A else { throw malformed("the last signature line does not end with a newline") }
        var signatures: [Signature] = []
        for line in signatureBytes.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false) {
            let text = String(decoding: line, as: UTF8.self)
            guard text.hasPrefix("\u{2014} ") else { throw malformed("'\(text.prefix(40))' is not a signature line (— name signature)") }
            let fields = text.dropFirst(2).split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count == 2 else { throw malformed("signature line '\(text.prefix(40))' is not '— name signature'") }
            let name = String(fields[0])
            do { try NoteVerifierKey.checkName(name) } catch { throw malformed("'\(name)' is not a key name") }
            guard let raw = Base64.decode(fields[1]), raw.count >= 5 else {
                throw malformed("the signature of \(name) is not base64 of a key id and a signature")
            }
            signatures.append(Signature(name: name, keyID: raw.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }, bytes: Array(raw.dropFirst(4))))
            guard signatures.count <= Self.maximumSignatures else { throw malformed("more than \(Self.maximumSignatures) signatures") }
        }
        self.text = String(decoding: textBytes, as: UTF8.self)
        self.signatures = signatures
        _ = whole
    }

    /// Signs `text` (which must end with a newline and hold no blank-line-then-dash trickery:
    /// it is checked by parsing the result).
    ///
    /// - Throws: ``LedgerError`` (`.invalidKeyOrNote`) when the text cannot be a note's.
    public init(signing text: String, with key: NoteSignerKey) throws {
        guard text.hasSuffix("\n") else { throw LedgerError(.invalidKeyOrNote, "a note's text ends with a newline") }
        let signature = try key.signature(of: Array(text.utf8))
        let id = key.verifier.keyID
        let raw = [UInt8(id >> 24 & 0xFF), UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)] + signature
        let bytes = Array(text.utf8) + Array("\n\u{2014} \(key.name) \(Base64.encode(raw))\n".utf8)
        self = try SignedNote(parsing: bytes)
        guard self.text == text else { throw LedgerError(.invalidKeyOrNote, "the text cannot be signed as a note (it holds a blank line followed by a signature)") }
    }

    /// The note's exact bytes.
    public var bytes: [UInt8] {
        var out = Array(text.utf8)
        out.append(0x0A)
        for signature in signatures {
            let id = signature.keyID
            let raw = [UInt8(id >> 24 & 0xFF), UInt8(id >> 16 & 0xFF), UInt8(id >> 8 & 0xFF), UInt8(id & 0xFF)] + signature.bytes
            out += Array("\u{2014} \(signature.name) \(Base64.encode(raw))\n".utf8)
        }
        return out
    }

    /// Verifies the note against trusted keys; returns those whose signature verified.
    ///
    /// - Throws: ``LedgerError`` (`.verificationFailed`) when a trusted key's signature fails,
    ///   or when no trusted key signed the note.
    @discardableResult
    public func verify(trusting keys: [NoteVerifierKey]) throws -> [NoteVerifierKey] {
        let verified = try trustedSigners(keys)
        guard !verified.isEmpty else {
            let signers = signatures.map { "\($0.name) (key \(NoteVerifierKey.hex($0.keyID)))" }.joined(separator: ", ")
            let trusted = keys.map { "\($0.name) (key \(NoteVerifierKey.hex($0.keyID)))" }.joined(separator: ", ")
            throw LedgerError(.verificationFailed, "no signature by a trusted key: signed by \(signers.isEmpty ? "nobody" : signers); trusted: \(trusted.isEmpty ? "none" : trusted)")
        }
        return verified
    }

    /// The trusted keys whose signatures are on the note and verify; none when no trusted key
    /// signed it (for notes that may come from other keys, such as older checkpoints).
    ///
    /// - Throws: ``LedgerError`` (`.verificationFailed`) when a trusted key's signature fails.
    public func trustedSigners(_ keys: [NoteVerifierKey]) throws -> [NoteVerifierKey] {
        var verified: [NoteVerifierKey] = []
        let message = Array(text.utf8)
        for signature in signatures {
            guard let key = keys.first(where: { $0.name == signature.name && $0.keyID == signature.keyID }) else { continue }
            guard key.isValidSignature(signature.bytes, of: message) else {
                throw LedgerError(.verificationFailed, "the signature by \(key.name) (key \(NoteVerifierKey.hex(key.keyID))) does not verify: the note was altered after it was signed")
            }
            if !verified.contains(key) { verified.append(key) }
        }
        return verified
    }

    /// The offset of the first newline of the last "\n\n" in `bytes`.
    private static func lastBlankLine(_ bytes: [UInt8]) -> Int? {
        var index = bytes.count - 2
        while index >= 0 {
            if bytes[index] == 0x0A && bytes[index + 1] == 0x0A { return index }
            index -= 1
        }
        return nil
    }
}
