#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib
import SystemIO

/// Reads a gzip file (RFC 1952) with zlib's inflate, in chunks, within ``BundleLimits``.
///
/// zlib checks the trailer's CRC-32 and length; this reader refuses what zlib would let pass:
/// a stream cut short, bytes or a second member after the end, and output past the size or
/// ratio caps (a gzip bomb is refused once a MiB of it is out, not after it fills a disk).
enum GzipReader {
    static let chunkSize = 256 << 10

    /// Inflates `path`, passing each chunk of output to `emit`, which returns false to stop.
    ///
    /// - Throws: ``BundleError``: `.io` when the file cannot be read, `.verificationFailed`
    ///   for a damaged, truncated or hostile stream.
    static func inflate(path: String, limits: BundleLimits, emit: ([UInt8]) -> Bool) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw BundleError(.io, "cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var stream = z_stream()
        guard remedy_inflate_init_gzip(&stream) == Z_OK else { throw BundleError(.io, "zlib cannot start an inflate stream") }
        defer { inflateEnd(&stream) }
        var input = [UInt8](repeating: 0, count: chunkSize)
        var output = [UInt8](repeating: 0, count: chunkSize)
        var consumed = 0, produced = 0
        var ended = false
        while true {
            let count = input.withUnsafeMutableBytes { readSome(descriptor, $0) }
            if count < 0 { throw BundleError(.io, SystemIOError.reading(path, errno).message) }
            if count == 0 { break }
            if ended { throw BundleError.failed("the bundle", "data after the end of its gzip stream") }
            consumed += count
            var offset = 0
            var full = false
            // Until this input is used up and zlib has nothing more to give (a full output
            // buffer may leave some inside it).
            while !ended && (offset < count || full) {
                let (used, made, rc, message): (Int, Int, Int32, String?) = input.withUnsafeMutableBufferPointer { source in
                    output.withUnsafeMutableBufferPointer { target in
                        stream.next_in = source.baseAddress! + offset
                        stream.avail_in = uInt(count - offset)
                        stream.next_out = target.baseAddress
                        stream.avail_out = uInt(chunkSize)
                        let rc = CZlib.inflate(&stream, Z_NO_FLUSH)
                        return (count - offset - Int(stream.avail_in), chunkSize - Int(stream.avail_out), rc,
                                stream.msg.map { String(cString: $0) })
                    }
                }
                offset += used
                full = made == chunkSize
                switch rc {
                case Z_OK, Z_BUF_ERROR: break
                case Z_STREAM_END: ended = true
                default:
                    throw BundleError.failed("the bundle", "not a valid gzip stream: \(message ?? "zlib error \(rc)")")
                }
                if made > 0 {
                    produced += made
                    if produced > limits.maximumInflatedSize {
                        throw BundleError.failed("the bundle", "inflates beyond \(limits.maximumInflatedSize) bytes: refused as a gzip bomb")
                    }
                    if produced > 1 << 20 && produced / max(1, consumed) > limits.maximumRatio {
                        throw BundleError.failed("the bundle", "inflates more than \(limits.maximumRatio) times its size: refused as a gzip bomb")
                    }
                    guard emit(Array(output[0..<made])) else { return }
                } else if used == 0 {
                    break
                }
            }
            if ended && offset < count { throw BundleError.failed("the bundle", "data after the end of its gzip stream") }
        }
        guard ended else { throw BundleError.failed("the bundle", "truncated: its gzip stream ends after \(consumed) bytes, before its end") }
    }
}
