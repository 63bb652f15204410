import CZlib
import Dispatch

/// Writes a gzip stream (RFC 1952) with zlib's deflate, compressing on every core, and the same
/// bytes whatever the number of cores or the timing.
///
/// The input is cut into fixed blocks of 128 KiB. Each block is deflated on its own (raw
/// deflate, level 6) with the 32 KiB before it as its dictionary, and ends on a byte boundary
/// (a sync flush); the last block ends the stream. The blocks join into one deflate stream
/// that any inflater reads, as pigz writes them, and since the cuts depend only on the
/// input's offsets, the same input and zlib give the same bytes. The header is zlib's for
/// `deflateSetHeader` with time 0 and OS 255 (`1f 8b 08 00 00000000 00 ff`), so no clock or
/// machine leaks into a bundle. A single deflate stream writes one block at a time at about
/// `gzip -6`'s speed; two cores write about twice as fast.
///
/// ```swift
/// let gzip = GzipWriter(to: file)
/// try gzip.write(bytes)
/// try gzip.finish()
/// ```
final class GzipWriter {
    static let blockSize = 128 << 10
    static let dictionarySize = 32 << 10
    static let header: [UInt8] = [0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xFF]

    private let output: OutputFile
    private let level: Int32
    /// Blocks compressed together: two per core keeps both busy.
    private let batchSize: Int
    private var current: [UInt8] = []
    private var pending: [(input: [UInt8], dictionary: [UInt8])] = []
    private var previousTail: [UInt8] = []
    private var compressors: [BlockCompressor] = []
    private var crc: UInt = 0
    private var length: UInt64 = 0

    init(to output: OutputFile, level: Int32 = 6) throws {
        self.output = output
        self.level = level
        batchSize = 2 * max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        crc = UInt(crc32(0, nil, 0))
        current.reserveCapacity(Self.blockSize)
        try output.write(Self.header)
    }

    /// Compresses bytes (in order).
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let take = min(Self.blockSize - current.count, bytes.count - offset)
            current.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + take)]))
            offset += take
            if current.count == Self.blockSize {
                try pushBlock()
                if pending.count == batchSize { try compressPending(last: false) }
            }
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Compresses what is left, ends the stream and writes the trailer (CRC-32, length).
    func finish() throws {
        try pushBlock()
        try compressPending(last: true)
        var trailer = [UInt8]()
        for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: crc >> shift)) }
        for shift in stride(from: 0, to: 32, by: 8) { trailer.append(UInt8(truncatingIfNeeded: length >> UInt64(shift))) }
        try output.write(trailer)
    }

    private func pushBlock() throws {
        let block = current
        pending.append((block, previousTail))
        previousTail = Array(block.suffix(Self.dictionarySize))
        current.removeAll(keepingCapacity: true)
    }

    /// Deflates the pending blocks on every core, then writes them in order.
    private func compressPending(last: Bool) throws {
        guard !pending.isEmpty else { return }
        while compressors.count < pending.count { compressors.append(try BlockCompressor(level: level)) }
        let blocks = pending
        let workers = compressors
        let results = Slots<Result<CompressedBlock, any Error>>(count: blocks.count)
        DispatchQueue.concurrentPerform(iterations: blocks.count) { index in
            let final = last && index == blocks.count - 1
            results[index] = Result { try workers[index].compress(blocks[index].input, dictionary: blocks[index].dictionary, final: final) }
        }
        for index in 0..<blocks.count {
            let block = try results[index]!.get()
            crc = UInt(crc32_combine(uLong(crc), uLong(block.crc), off_t(blocks[index].input.count)))
            length &+= UInt64(blocks[index].input.count)
            try output.write(block.bytes)
        }
        pending.removeAll(keepingCapacity: true)
    }
}

/// One block's deflate output and the CRC-32 of its input.
struct CompressedBlock: Sendable {
    var bytes: [UInt8]
    var crc: UInt
}

/// A raw deflate stream reused block after block (``GzipWriter``).
final class BlockCompressor: @unchecked Sendable {
    private var stream = z_stream()

    init(level: Int32) throws {
        guard remedy_deflate_init_raw(&stream, level) == Z_OK else {
            throw BundleError(.io, "zlib cannot start a deflate stream")
        }
    }

    deinit { deflateEnd(&stream) }

    /// Deflates `input` after `dictionary`; a block that is not `final` ends byte-aligned
    /// (a sync flush) so the next block's bytes can follow it.
    func compress(_ input: [UInt8], dictionary: [UInt8], final: Bool) throws -> CompressedBlock {
        guard deflateReset(&stream) == Z_OK else { throw BundleError(.io, "zlib cannot reset a deflate stream") }
        if !dictionary.isEmpty {
            let rc = dictionary.withUnsafeBufferPointer { deflateSetDictionary(&stream, $0.baseAddress, uInt($0.count)) }
            guard rc == Z_OK else { throw BundleError(.io, "zlib refused a deflate dictionary") }
        }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 16)
        let produced: Int = try input.withUnsafeBufferPointer { source in
            try output.withUnsafeMutableBufferPointer { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                let rc = deflate(&stream, final ? Z_FINISH : Z_SYNC_FLUSH)
                guard rc == (final ? Z_STREAM_END : Z_OK), stream.avail_in == 0 else {
                    throw BundleError(.io, "zlib's deflate failed (\(rc))")
                }
                return target.count - Int(stream.avail_out)
            }
        }
        output.removeSubrange(produced...)
        let crc = input.withUnsafeBufferPointer { UInt(crc32(0, $0.baseAddress, uInt($0.count))) }
        return CompressedBlock(bytes: output, crc: crc)
    }
}

/// Results filled in by concurrent workers, each at its own index, read once they are done.
final class Slots<Value>: @unchecked Sendable {
    private let values: UnsafeMutableBufferPointer<Value?>

    init(count: Int) {
        values = .allocate(capacity: count)
        values.initialize(repeating: nil)
    }

    deinit {
        values.deinitialize()
        values.deallocate()
    }

    subscript(index: Int) -> Value? {
        get { values[index] }
        set { values[index] = newValue }
    }
}
