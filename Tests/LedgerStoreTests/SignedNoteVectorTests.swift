import Crypto
import Foundation
import XCTest
@testable import LedgerStore

/// Signed notes and checkpoints (C2SP), and the signatures under them, against every vector
/// in `shared/vectors`: the C2SP example, Go's `sumdb/note` cases, real sum.golang.org and
/// Rekor checkpoints, RFC 8032's Ed25519 tests and the DSSE protocol vector.
final class SignedNoteVectorTests: XCTestCase {
    func testSignedNoteVectors() throws {
        let vectors = try Vectors.load("signed-note-vectors")
        let cases = vectors["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 14)
        for item in cases {
            let id = item["id"] as! String
            if item["op"] as? String == "sign" {
                let key = try NoteSignerKey(item["signer_skey"] as! String)
                let note = try SignedNote(signing: item["text"] as! String, with: key)
                XCTAssertEqual(String(decoding: note.bytes, as: UTF8.self), item["expected_note"] as? String, id)
                XCTAssertEqual(key.text, item["signer_skey"] as? String, "\(id): the key file round-trips")
                continue
            }
            let keys = try (item["trusted_vkeys"] as! [String]).map { try NoteVerifierKey($0) }
            let bytes = Array((item["note"] as! String).utf8)
            let outcome = Result { try SignedNote(parsing: bytes).verify(trusting: keys) }
            switch item["expect"] as! String {
            case "valid":
                let signers = try outcome.get().map(\.name)
                XCTAssertEqual(signers, item["verified_signers"] as? [String], id)
                XCTAssertEqual(try SignedNote(parsing: bytes).bytes, bytes, "\(id): the bytes round-trip")
            default:
                XCTAssertThrowsError(try outcome.get(), id) { error in
                    let code = (error as? LedgerError)?.code
                    let malformed = (item["reason"] as? String ?? "").hasPrefix("malformed")
                    XCTAssertEqual(code, malformed ? .invalidKeyOrNote : .verificationFailed, "\(id): \(error)")
                }
            }
        }
    }

    func testInvalidUTF8NotesAreRefused() {
        let note: [UInt8] = [0xFF] + Array("text\n\n\u{2014} k AAAAAAA=\n".utf8)
        XCTAssertThrowsError(try SignedNote(parsing: note)) { XCTAssertTrue("\($0)".contains("UTF-8"), "\($0)") }
    }

    func testMalformedVerifierKeysAreRefused() throws {
        let vectors = try Vectors.load("signed-note-vectors")
        let keys = vectors["keys"] as! [String: String]
        for bad in vectors["bad_vkeys_from_go"] as! [[String: String]] {
            guard let text = bad["vkey"] else { continue }
            XCTAssertThrowsError(try NoteVerifierKey(text), bad["reason"] ?? text)
        }
        // Go's rule: every proper prefix of a valid key, and every one-byte change of it, is refused.
        let good = keys["PeterNeumann_vkey"]!
        XCTAssertNoThrow(try NoteVerifierKey(good))
        for length in 0..<good.count { XCTAssertThrowsError(try NoteVerifierKey(String(good.prefix(length))), "prefix \(length)") }
        var bytes = Array(good.utf8)
        for index in bytes.indices {
            let original = bytes[index]
            bytes[index] = original &+ 1
            XCTAssertThrowsError(try NoteVerifierKey(String(decoding: bytes, as: UTF8.self)), "byte \(index)")
            bytes[index] = original
        }
        XCTAssertEqual(try NoteSignerKey(keys["PeterNeumann_skey"]!).verifier.text, good)
    }

    func testRealWorldCheckpoints() throws {
        let vectors = try Vectors.load("real-world-checkpoints")
        let cases = vectors["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 7)
        for item in cases {
            let id = item["id"] as! String
            let keys = try (item["trusted_vkeys"] as! [String]).map { try NoteVerifierKey($0) }
            let outcome = Result { try SignedCheckpoint(parsing: Array((item["note"] as! String).utf8)).verify(trusting: keys) }
            if item["expect"] as! String == "valid" {
                let checkpoint = try outcome.get()
                XCTAssertEqual(checkpoint.origin, item["origin"] as? String, id)
                XCTAssertEqual(checkpoint.size, item["tree_size"] as? Int, id)
                XCTAssertEqual(Base64.encode(checkpoint.root.bytes), item["root_hash_b64"] as? String, id)
            } else {
                XCTAssertThrowsError(try outcome.get(), id)
            }
        }
    }

    func testEd25519RFC8032Vectors() throws {
        let cases = try Vectors.load("ed25519-rfc8032-section-7.1")["cases"] as! [[String: Any]]
        XCTAssertEqual(cases.count, 5)
        for item in cases {
            let name = item["name"] as! String
            let seed = Vectors.bytes(hex: item["secret_key_seed_hex"] as? String ?? "")
            let publicKey = try Curve25519.Signing.PublicKey(rawRepresentation: Vectors.bytes(hex: item["public_key_hex"] as! String))
            let message = Vectors.bytes(hex: item["message_hex"] as! String)
            let signature = Vectors.bytes(hex: item["signature_hex"] as! String)
            let valid = publicKey.isValidSignature(signature, for: message)
            XCTAssertEqual(valid, item["expect"] as! String == "valid", name)
            if valid, !seed.isEmpty {
                // swift-crypto on Linux signs deterministically, as RFC 8032 says.
                let privateKey = try Curve25519.Signing.PrivateKey(rawRepresentation: seed)
                XCTAssertEqual(Array(privateKey.publicKey.rawRepresentation), Array(publicKey.rawRepresentation), name)
                #if os(Linux)
                XCTAssertEqual(Array(try privateKey.signature(for: message)), signature, name)
                #endif
            }
        }
    }

    func testDSSEProtocolVector() throws {
        let vector = try Vectors.load("dsse-protocol-test-vector")
        let type = vector["payload_type"] as! String, body = vector["serialized_body_utf8"] as! String
        // PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body
        let pae = Array("DSSEv1 \(type.utf8.count) \(type) \(body.utf8.count) \(body)".utf8)
        XCTAssertEqual(String(decoding: pae, as: UTF8.self), vector["pae_utf8"] as? String)
        XCTAssertEqual(pae, Vectors.bytes(hex: vector["pae_hex"] as! String))
        let key = try P256.Signing.PublicKey(derRepresentation: Vectors.bytes(hex: (vector["public_key"] as! [String: Any])["spki_der_hex"] as! String))
        let envelope = vector["envelope"] as! [String: Any]
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: try XCTUnwrap(Base64.decode(((envelope["signatures"] as! [[String: String]])[0])["sig"]!)))
        XCTAssertEqual(Base64.decode(envelope["payload"] as! String), Array(body.utf8))
        XCTAssertTrue(key.isValidSignature(signature, for: pae))
        let negatives = vector["negative_cases_derived"] as! [[String: Any]]
        XCTAssertEqual(negatives.count, 2)
        let changedType = Array("DSSEv1 \(type.utf8.count + 1) \(type)2 \(body.utf8.count) \(body)".utf8)
        XCTAssertFalse(key.isValidSignature(signature, for: changedType))
        let changedBody = Array("DSSEv1 \(type.utf8.count) \(type) \(body.utf8.count + 1) \(body)!".utf8)
        XCTAssertFalse(key.isValidSignature(signature, for: changedBody))
    }

    func testBase64IsStrict() {
        XCTAssertEqual(Base64.encode([0xDE, 0xAD]), "3q0=")
        XCTAssertEqual(Base64.decode("3q0="), [0xDE, 0xAD])
        for bad in ["3q1=", "3q0", "3q0==", "3q=0", " 3q0=", "3q0=\n", "====", "3q0*"] { XCTAssertNil(Base64.decode(bad), bad) }
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            XCTAssertEqual(Base64.decode(Base64.encode(bytes)), bytes)
            XCTAssertEqual(Base64.encode(bytes), Data(bytes).base64EncodedString())
        }
    }

    func testOwnKeysSignAndVerifyCheckpoints() throws {
        let key = try NoteSignerKey(generatingFor: "ci.example.com/acme/evals")
        XCTAssertEqual(try NoteSignerKey(key.text).verifier, key.verifier, "the key file round-trips")
        XCTAssertEqual(try NoteVerifierKey(key.verifier.text), key.verifier)
        let checkpoint = Checkpoint(origin: "ci.example.com/acme/evals", size: 42, root: MerkleTree.leafHash([1]))
        let signed = try SignedCheckpoint(signing: checkpoint, with: key)
        XCTAssertEqual(try SignedCheckpoint(parsing: signed.bytes).verify(trusting: [key.verifier]), checkpoint)
        let other = try NoteSignerKey(generatingFor: "ci.example.com/acme/evals")
        XCTAssertThrowsError(try SignedCheckpoint(parsing: signed.bytes).verify(trusting: [other.verifier])) {
            XCTAssertTrue("\($0)".contains("no signature by a trusted key"), "\($0)")
        }
        var forged = signed.bytes
        forged[forged.firstIndex(of: UInt8(ascii: "4"))!] = UInt8(ascii: "5")
        XCTAssertThrowsError(try SignedCheckpoint(parsing: forged).verify(trusting: [key.verifier])) {
            XCTAssertTrue("\($0)".contains("does not verify"), "\($0)")
        }
        XCTAssertThrowsError(try NoteSignerKey(generatingFor: "two words"))
    }
}
