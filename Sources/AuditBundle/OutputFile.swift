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
