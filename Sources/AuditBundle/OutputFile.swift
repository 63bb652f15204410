#if canImport(Glibc)
import Glibc
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let systemWrite = Darwin.write
#endif

/// A file written under a temporary name beside its final one, and renamed into place only
/// when complete and on disk: a partial bundle or backup never exists under its final name.
///
/// Writes are buffered (1 MiB); a full disk or another error becomes a ``BundleError`` naming
/// the file, and the temporary file is removed.
final class OutputFile {
    let path: String
    let temporaryPath: String
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var committed = false
    private static let capacity = 1 << 20

    /// Creates the temporary file (`.NAME.partial-XXXXXX` in the same folder).
    ///
    /// - Throws: ``BundleError`` (`.io`) when the folder cannot be written.
    init(path: String) throws {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var template = Array("\(folder).\(name).partial-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw BundleError(.io, "cannot write \(path): \(String(cString: strerror(errno)))") }
        descriptor = fd
        temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        fchmod(fd, 0o644)
        buffer.reserveCapacity(Self.capacity)
    }

    deinit {
        if !committed {
            close(descriptor)
            unlink(temporaryPath)
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > Self.capacity { try flush() }
        if bytes.count >= Self.capacity {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    private func flush() throws {
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let count = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                throw failure(errno)
            }
            offset += count
        }
    }

    /// Flushes, syncs, and renames the file into place (and syncs the folder).
    ///
    /// - Throws: ``BundleError`` (`.io`); the temporary file is removed.
    func commit() throws {
        try flush()
        guard fsync(descriptor) == 0 else { throw failure(errno) }
        guard close(descriptor) == 0 else { committed = true; unlink(temporaryPath); throw failure(errno) }
        committed = true
        guard rename(temporaryPath, path) == 0 else {
            let code = errno
            unlink(temporaryPath)
            throw failure(code)
        }
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let folderDescriptor = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }

    private func failure(_ code: Int32) -> BundleError {
        if code == ENOSPC || code == EDQUOT {
            return BundleError(.io, "cannot write \(path): the disk is full; nothing was written")
        }
        return BundleError(.io, "cannot write \(path): \(String(cString: strerror(code)))")
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
        guard fd >= 0 else { throw BundleError(.io, "cannot make a temporary file in \(folder): \(String(cString: strerror(errno)))") }
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
        var offset = 0
        while offset < buffer.count {
            let count = buffer.withUnsafeBytes { systemWrite(descriptor, $0.baseAddress! + offset, buffer.count - offset) }
            if count < 0 {
                if errno == EINTR { continue }
                throw BundleError(.io, "cannot write a temporary file: \(String(cString: strerror(errno)))")
            }
            offset += count
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Passes `count` bytes from `offset` to `body`, in pieces.
    func read(from offset: Int, count: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try flush()
        var chunk = [UInt8](repeating: 0, count: 1 << 18)
        var done = 0
        while done < count {
            let wanted = min(chunk.count, count - done)
            let got = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, wanted, off_t(offset + done)) }
            if got < 0 {
                if errno == EINTR { continue }
                throw BundleError(.io, "cannot read a temporary file: \(String(cString: strerror(errno)))")
            }
            guard got > 0 else { throw BundleError(.io, "a temporary file ended early") }
            try chunk.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
            done += got
        }
    }
}
