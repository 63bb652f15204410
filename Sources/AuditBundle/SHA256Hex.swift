import Crypto
import Events

/// SHA-256 in lowercase hex: how bundles name policies and describe members.
enum SHA256Hex {
    static func of(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).lowercaseHex
    }
}
