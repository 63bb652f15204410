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

/// A ``SpoolFile`` whose errors are the bundle's: an export's read-model snapshot, which
/// follows the manifest, and a verification's events for a retroactive replay.
final class Spool {
    private let file: SpoolFile
    var size: Int { file.size }

    /// - Throws: ``BundleError`` when no temporary file can be made.
    init() throws {
        do { file = try SpoolFile() } catch let error as SystemIOError { throw BundleError(writing: error) }
    }

    func write(_ bytes: [UInt8]) throws {
        do { try file.write(bytes) } catch let error as SystemIOError { throw BundleError(writing: error) }
    }

    /// Passes `count` bytes from `offset` to `body`, in pieces.
    func read(from offset: Int, count: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        do {
            try file.read(from: offset, count: count, body)
        } catch let error as SystemIOError {
            throw BundleError(.io, error.message)
        }
    }
}
