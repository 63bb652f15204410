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
}
