#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes all of `bytes` to `descriptor`, retrying interrupted and short writes.
///
/// - Returns: 0, or the `errno` of the write that failed.
public func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
    var offset = 0
    while offset < bytes.count {
        let count = systemWrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
        if count < 0 {
            if errno == EINTR { continue }
            return errno
        }
        offset += count
    }
    return 0
}

/// The size of the file at `path`, or nil when there is none.
public func fileSize(atPath path: String) -> Int? {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_size) : nil
}

/// Whether two paths name the same file (the same device and inode).
public func isSameFile(_ path: String, _ other: String) -> Bool {
    var first = stat(), second = stat()
    return stat(path, &first) == 0 && stat(other, &second) == 0 && first.st_dev == second.st_dev && first.st_ino == second.st_ino
}

/// A file written under a temporary name beside its final one (`.NAME.partial-XXXXXX`, same
/// folder, so the rename is atomic) and renamed into place only when complete and on disk:
/// a partial bundle, backup or copy never exists under its final name, and one that fails is
/// removed.
///
/// ```swift
/// let file = try PartialFile(finalPath: "audit.tar.gz")
/// _ = bytes.withUnsafeBytes { writeAll(file.descriptor, $0) }
/// try file.commit()
/// ```
public final class PartialFile {
    public let path: String
    public let temporaryPath: String
    /// Open for writing until ``commit()``.
    public let descriptor: Int32
    private var done = false

    /// Creates the temporary file, mode 0644.
    ///
    /// - Throws: ``LedgerError`` (`.storage`) when the folder cannot be written.
    public init(finalPath path: String) throws {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var template = Array("\(folder).\(name).partial-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw Self.failure(path, errno) }
        descriptor = fd
        temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        fchmod(fd, 0o644)
    }

    deinit {
        if !done {
            close(descriptor)
            unlink(temporaryPath)
        }
    }

    /// Syncs the file, renames it into place and syncs its folder.
    ///
    /// - Throws: ``LedgerError`` (`.storage`); the temporary file is removed.
    public func commit() throws {
        guard !done else { return }
        done = true
        guard fsync(descriptor) == 0 else {
            let code = errno
            close(descriptor)
            unlink(temporaryPath)
            throw Self.failure(path, code)
        }
        close(descriptor)
        guard rename(temporaryPath, path) == 0 else {
            let code = errno
            unlink(temporaryPath)
            throw Self.failure(path, code)
        }
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let folderDescriptor = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }

    /// The error for `errno` `code` while writing `path`: a full disk says so.
    public static func failure(_ path: String, _ code: Int32) -> LedgerError {
        if code == ENOSPC || code == EDQUOT {
            return LedgerError(.storage, "cannot write \(path): the disk is full; nothing was written")
        }
        return LedgerError(.storage, "cannot write \(path): \(errnoMessage(code))")
    }
}
