#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemIO

/// Buffered standard output written with `write(2)`: streaming a million events costs a
/// write per 64 KiB, not per line.
final class StandardOutput {
    nonisolated(unsafe) static let shared = StandardOutput()

    private var buffer: [UInt8] = []
    private let capacity = 1 << 16

    private init() { buffer.reserveCapacity(capacity) }

    func write(_ bytes: UnsafeRawBufferPointer) {
        if buffer.count + bytes.count > capacity { flush() }
        if bytes.count >= capacity {
            writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    func write(_ text: String) {
        var text = text
        text.withUTF8 { write(UnsafeRawBufferPointer($0)) }
    }

    func writeLine(_ text: String) { write(text + "\n") }

    func flush() {
        buffer.withUnsafeBytes { writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) {
        // Standard output closed: nobody to tell.
        if SystemIO.writeAll(1, bytes) != 0 { exit(RemedyExitCode.storage.rawValue) }
    }
}

/// Unbuffered standard error: errors and progress.
enum StandardError {
    static func write(_ text: String) {
        var text = text
        text.withUTF8 { _ = SystemIO.writeAll(2, UnsafeRawBufferPointer($0)) }
    }

    static var isTerminal: Bool { isatty(2) == 1 }

    /// Writes `remedy: TEXT` as one printable line (see ``printableLine(_:limit:)``): what
    /// remedy says on standard error quotes what users and handlers sent (paths, case keys,
    /// handler output), which may hold newlines, terminal escapes or a megabyte.
    static func line(_ text: String) {
        write("remedy: \(printableLine(text))\n")
    }
}

/// `text` as one line a terminal shows as it is: control characters (newlines, escapes, NUL,
/// DEL, C1) and the invisible controls that reorder text (bidirectional overrides and
/// isolates) written as `\u{1B}`, and past `limit` characters the middle left out and counted.
///
/// ```swift
/// printableLine("no case a\u{1B}[31mb\nc")   // "no case a\u{1B}[31mb\u{0A}c"
/// ```
func printableLine(_ text: String, limit: Int = 2_000) -> String {
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        switch scalar.value {
        case 0..<0x20, 0x7F..<0xA0, 0x202A...0x202E, 0x2066...0x2069, 0x2028, 0x2029:
            let hex = String(scalar.value, radix: 16, uppercase: true)
            out.append(contentsOf: "\\u{\(hex.count == 1 ? "0" + hex : hex)}".unicodeScalars)
        default:
            out.append(scalar)
        }
    }
    guard out.count > limit else { return String(out) }
    let head = out.prefix(limit * 3 / 5), tail = out.suffix(limit / 5)
    return String(head) + "… (\(out.count - head.count - tail.count) characters left out) …" + String(tail)
}

