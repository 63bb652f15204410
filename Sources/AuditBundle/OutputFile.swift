#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LedgerStore
import SystemIO

/// A bundle being written: buffered writes (1 MiB) to a ``PartialFile``, renamed into place
/// only when complete, so a partial bundle never exists under its final name. A full disk or
/// another error becomes a ``BundleError`` naming the file, and the temporary file is removed.
final class OutputFile {
    private let file: PartialFile
    private var buffer: [UInt8] = []
    private static let capacity = 1 << 20

    /// - Throws: ``BundleError`` (`.unwritable`) when the folder cannot be written.
    init(path: String) throws {
        do { file = try PartialFile(finalPath: path) } catch let error as SystemIOError { throw BundleError(writing: error) }
        buffer.reserveCapacity(Self.capacity)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > Self.capacity { try flush() }
        if bytes.count >= Self.capacity {
            try writeThrough(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    private func flush() throws {
        try buffer.withUnsafeBytes { try writeThrough($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeThrough(_ bytes: UnsafeRawBufferPointer) throws {
        let code = writeAll(file.descriptor, bytes)
        if code != 0 { throw BundleError(writing: SystemIOError.writing(file.path, code)) }
    }

    /// Flushes, syncs, and renames the file into place.
    ///
    /// - Throws: ``BundleError`` (`.storage`, `.unwritable`); the temporary file is removed.
    func commit() throws {
        try flush()
        do { try file.commit() } catch let error as SystemIOError { throw BundleError(writing: error) }
    }
}

/// A temporary file, unlinked as soon as it is made, to hold what would take too much memory
/// until it is copied on: an export's read-model snapshot, which follows the manifest.
final class Spool {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private(set) var size = 0

    /// - Throws: ``BundleError`` (`.io`) when no temporary file can be made.
    init() throws {
        let folder = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array("\(folder)/remedy-spool-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw BundleError(writing: SystemIOError.writing("a temporary file in \(folder)", errno)) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        descriptor = fd
    }

    deinit { close(descriptor) }

    func write(_ bytes: [UInt8]) throws {
        buffer += bytes
        size += bytes.count
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        let code = buffer.withUnsafeBytes { writeAll(descriptor, $0) }
        if code != 0 { throw BundleError(writing: SystemIOError.writing("a temporary file", code)) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Passes `count` bytes from `offset` to `body`, in pieces.
    func read(from offset: Int, count: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try flush()
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        var done = 0
        while done < count {
            let wanted = min(chunk.count, count - done)
            let got = chunk.withUnsafeMutableBytes { readSome(descriptor, UnsafeMutableRawBufferPointer(rebasing: $0[0..<wanted]), at: offset + done) }
            if got < 0 { throw BundleError(.io, "cannot read a temporary file: \(errnoMessage())") }
            guard got > 0 else { throw BundleError(.io, "a temporary file ended early") }
            try chunk.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
            done += got
        }
    }
}
