import Crypto

/// A signed-note verifier key: who signs (a key name), the key's 4-byte id, and its Ed25519
/// public key, written `name+hexid+base64(0x01 ‖ public key)` (C2SP `signed-note`).
///
/// This is what an auditor keeps and passes to `remedy verify-bundle --key`: it checks
/// checkpoints without trusting anything else in a bundle.
///
/// ```swift
/// let key = try NoteVerifierKey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
/// key.name    // "example.com/foo"
/// key.keyID   // 0x530d903a
/// ```
public struct NoteVerifierKey: Sendable, Equatable {
    /// The signature type byte of Ed25519 in signed notes.
    static let ed25519: UInt8 = 0x01

    public let name: String
    public let keyID: UInt32
    let publicKey: [UInt8]

    /// Parses the text form, strictly: the id must be the one the name and key give.
    ///
    /// - Throws: ``LedgerError`` (`.invalidKeyOrNote`) naming what is wrong.
    public init(_ text: String) throws {
        // The base64 key may itself hold '+': only the first two separate fields.
        let parts = text.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else {
            throw LedgerError(.invalidKeyOrNote, "not a verifier key (name+id+key expected)")
        }
        let name = String(parts[0])
        try Self.checkName(name)
        guard parts[1].utf8.count == 8, let id = UInt32(parts[1], radix: 16), parts[1] == parts[1].lowercased() else {
            throw LedgerError(.invalidKeyOrNote, "verifier key \(name): the key id '\(parts[1])' is not 8 lowercase hex digits")
        }
        guard let bytes = Base64.decode(parts[2]), bytes.count == 33 else {
            throw LedgerError(.invalidKeyOrNote, "verifier key \(name): the key is not a base64 Ed25519 public key")
        }
        guard bytes[0] == Self.ed25519 else {
            throw LedgerError(.invalidKeyOrNote, "verifier key \(name): signature type \(bytes[0]) is not Ed25519 (1)")
        }
        let key = Array(bytes[1...])
        guard (try? Curve25519.Signing.PublicKey(rawRepresentation: key)) != nil else {
            throw LedgerError(.invalidKeyOrNote, "verifier key \(name): not an Ed25519 public key")
        }
        guard Self.keyID(name: name, publicKey: key) == id else {
            throw LedgerError(.invalidKeyOrNote, "verifier key \(name): the key id \(parts[1]) does not belong to this name and key")
        }
        self.name = name
        self.keyID = id
        self.publicKey = key
    }

    init(name: String, publicKey: [UInt8]) {
        self.name = name
        self.publicKey = publicKey
        self.keyID = Self.keyID(name: name, publicKey: publicKey)
    }

    /// The text form, `name+hexid+base64`.
    public var text: String {
        "\(name)+\(Self.hex(keyID))+\(Base64.encode([Self.ed25519] + publicKey))"
    }

    /// Whether `signature` is this key's Ed25519 signature of `message`.
    func isValidSignature(_ signature: some Collection<UInt8>, of message: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: publicKey) else { return false }
        return key.isValidSignature(Array(signature), for: message)
    }

    /// `SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]`, big-endian.
    static func keyID(name: String, publicKey: [UInt8]) -> UInt32 {
        let digest = Array(SHA256.hash(data: Array(name.utf8) + [0x0A, ed25519] + publicKey))
        return digest.prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// Key names are non-empty, without Unicode spaces or `+` (C2SP `signed-note`).
    static func checkName(_ name: String) throws {
        guard !name.isEmpty, !name.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0 == "+" || $0.value < 0x20 }) else {
            throw LedgerError(.invalidKeyOrNote, "'\(name)' is not a key name (non-empty, without spaces or '+')")
        }
    }

    static func hex(_ id: UInt32) -> String {
        let digits = String(id, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}

/// A signed-note signer key, written `PRIVATE+KEY+name+hexid+base64(0x01 ‖ seed)`, the form Go's
/// `sumdb/note` reads. Kept in a file only its owner can read (`remedy key generate`).
public struct NoteSignerKey: Sendable {
    public let name: String
    private let seed: [UInt8]

    /// A new random key.
    ///
    /// - Throws: ``LedgerError`` (`.invalidKeyOrNote`) for a name a key cannot have.
    public init(generatingFor name: String) throws {
        try NoteVerifierKey.checkName(name)
        self.name = name
        seed = Array(Curve25519.Signing.PrivateKey().rawRepresentation)
    }

    /// Parses the text form (a trailing newline is allowed).
    ///
    /// - Throws: ``LedgerError`` (`.invalidKeyOrNote`), never quoting the secret.
    public init(_ text: String) throws {
        var text = Substring(text)
        if text.hasSuffix("\n") { text = text.dropLast() }
        let parts = text.split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY" else {
            throw LedgerError(.invalidKeyOrNote, "not a signing key (PRIVATE+KEY+name+id+key expected)")
        }
        let name = String(parts[2])
        try NoteVerifierKey.checkName(name)
        guard let bytes = Base64.decode(parts[4]), bytes.count == 33, bytes[0] == NoteVerifierKey.ed25519,
              let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes[1...]) else {
            throw LedgerError(.invalidKeyOrNote, "signing key \(name): not an Ed25519 key")
        }
        self.name = name
        seed = Array(bytes[1...])
        guard NoteVerifierKey.hex(verifier.keyID) == parts[3] else {
            throw LedgerError(.invalidKeyOrNote, "signing key \(name): the key id \(parts[3]) does not belong to this key")
        }
        _ = key
    }

    /// The text form, with the secret: for the key file only.
    public var text: String {
        "PRIVATE+KEY+\(name)+\(NoteVerifierKey.hex(verifier.keyID))+\(Base64.encode([NoteVerifierKey.ed25519] + seed))"
    }

    /// The matching verifier key.
    public var verifier: NoteVerifierKey {
        let key = try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        return NoteVerifierKey(name: name, publicKey: Array(key.publicKey.rawRepresentation))
    }

    /// The Ed25519 signature of `message` (RFC 8032: deterministic).
    func signature(of message: [UInt8]) throws -> [UInt8] {
        let key = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        return Array(try key.signature(for: message))
    }
}
