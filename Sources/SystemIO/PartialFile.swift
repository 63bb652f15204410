#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

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
    /// - Throws: ``SystemIOError`` when the folder cannot be written.
    public init(finalPath path: String) throws {
        self.path = path
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var template = Array("\(folder).\(name).partial-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SystemIOError.writing(path, errno) }
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
    /// - Throws: ``SystemIOError``; the temporary file is removed.
    public func commit() throws {
        guard !done else { return }
        done = true
        guard fsync(descriptor) == 0 else {
            let code = errno
            close(descriptor)
            unlink(temporaryPath)
            throw SystemIOError.writing(path, code)
        }
        close(descriptor)
        guard rename(temporaryPath, path) == 0 else {
            let code = errno
            unlink(temporaryPath)
            throw SystemIOError.writing(path, code)
        }
        let slash = path.lastIndex(of: "/")
        let folder = slash.map { String(path[..<$0]) } ?? "."
        let folderDescriptor = open(folder.isEmpty ? "/" : folder, O_RDONLY | O_CLOEXEC)
        if folderDescriptor >= 0 {
            fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }
}
