#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written under a temporary name beside its final one (`.NAME.partial-XXXXXX`, same
/// folder, so the rename is atomic) and renamed into place only when complete and on disk:
/// a partial bundle, backup or copy never exists under its final name, and one that fails is
/// removed. The writer holds a lock on the file until then (on Linux an open-file-description
/// lock on one byte far past any SQLite locks, so neither SQLite nor a ledger's `flock` on the
/// same file meets it): a writer that was killed leaves its partial file behind unlocked, and
/// the next one writing to the same final name removes it (with SQLite's `-journal`, `-wal`
/// and `-shm` beside it) before it starts.
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
        Self.removeAbandoned(folder: folder, name: name)
        var template = Array("\(folder).\(name).partial-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SystemIOError.writing(path, errno) }
        descriptor = fd
        temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        fchmod(fd, 0o644)
        // Held until the file is renamed or removed: what tells a later writer this one lives.
        _ = Self.liveness(fd)
    }

    #if os(Linux)
    /// Takes the write lock that marks a partial file's writer alive: an open-file-description
    /// lock (`F_OFD_SETLK`) on the last byte a file can have, which SQLite never locks and
    /// `flock` never meets. True when taken (no one else holds it).
    static func liveness(_ descriptor: Int32) -> Bool {
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        lock.l_start = off_t(Int64.max - 1)
        lock.l_len = 1
        lock.l_pid = 0
        let setOpenFileDescriptionLock: Int32 = 37   // F_OFD_SETLK, Linux 3.15 and later
        return fcntl(descriptor, setOpenFileDescriptionLock, &lock) == 0
    }
    #else
    /// No lock that SQLite and a ledger's `flock` cannot meet: no file is ever taken for
    /// abandoned here.
    static func liveness(_ descriptor: Int32) -> Bool { false }
    #endif

    /// Removes the partial files of `name` in `folder` that no living writer holds (their
    /// writer was killed before it could), and the SQLite files beside each.
    static func removeAbandoned(folder: String, name: String) {
        let prefix = ".\(name).partial-"
        var abandoned: [String] = []
        forEachEntry(inFolder: folder) { entry, _ in
            if entry.hasPrefix(prefix), entry.utf8.count == prefix.utf8.count + 6 { abandoned.append(folder + entry) }
        }
        for path in abandoned {
            let fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else { continue }
            // A living writer holds the lock; a killed one's file is free.
            if liveness(fd) { removeWithCompanions(path) }
            close(fd)
        }
    }

    /// Removes a partial file and the files SQLite keeps beside one it writes (a backup or
    /// copy that failed on a full disk leaves its rollback journal).
    static func removeWithCompanions(_ path: String) {
        for suffix in ["-journal", "-wal", "-shm"] { unlink(path + suffix) }
        unlink(path)
    }

    deinit {
        if !done {
            close(descriptor)
            Self.removeWithCompanions(temporaryPath)
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
            Self.removeWithCompanions(temporaryPath)
            throw SystemIOError.writing(path, code)
        }
        close(descriptor)
        guard rename(temporaryPath, path) == 0 else {
            let code = errno
            Self.removeWithCompanions(temporaryPath)
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
