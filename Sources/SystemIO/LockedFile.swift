#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file descriptor on a file, used for an advisory `flock(2)` lock.
///
/// Opening, configuring and migrating a ledger happen under an exclusive lock on the file
/// itself, so processes racing to create the same new ledger take turns instead of one
/// failing mid-migration. The descriptor stays open as long as the connection: closing a
/// descriptor on a SQLite file would drop SQLite's own POSIX locks held through other ones.
public final class LockedFile {
    public let descriptor: Int32

    /// Opens `path`, creating it if asked. Returns nil with `errno` set on failure.
    public init?(path: String, create: Bool, writable: Bool) {
        var flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC
        if create { flags |= O_CREAT }
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { return nil }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Takes the lock, waiting for it (retrying on EINTR).
    public func lock(exclusive: Bool) {
        while flock(descriptor, exclusive ? LOCK_EX : LOCK_SH) != 0 && errno == EINTR {}
    }

    public func unlock() {
        _ = flock(descriptor, LOCK_UN)
    }

    /// The file's size and permission bits.
    public func status() -> (size: Int, mode: UInt32) {
        var info = stat()
        fstat(descriptor, &info)
        return (Int(info.st_size), UInt32(info.st_mode))
    }
}
