#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// The system calls every module reads and writes files with, each retried when a signal
// interrupts it (EINTR), written once.

#if canImport(Glibc)
private let systemRead = Glibc.read
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemRead = Darwin.read
private let systemWrite = Darwin.write
#endif

/// Reads up to `buffer.count` bytes from `descriptor`: the count (0 at the end of the file),
/// or -1 with `errno` set; interrupted reads are retried.
///
/// ```swift
/// let count = bytes.withUnsafeMutableBytes { readSome(descriptor, $0) }
/// ```
public func readSome(_ descriptor: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> Int {
    while true {
        let count = systemRead(descriptor, buffer.baseAddress, buffer.count)
        if count >= 0 || errno != EINTR { return count }
    }
}

/// Reads up to `buffer.count` bytes from `descriptor` at `offset`, without moving its file
/// position: the count, or -1 with `errno` set; interrupted reads are retried.
public func readSome(_ descriptor: Int32, _ buffer: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
    while true {
        let count = pread(descriptor, buffer.baseAddress, buffer.count, off_t(offset))
        if count >= 0 || errno != EINTR { return count }
    }
}

/// Reads `descriptor` to its end, at most `limit` bytes.
///
/// - Throws: ``SystemIOError``: `.unreadable` (naming `name`), or `.tooLarge` once more than
///   `limit` bytes were read (its message says `tooLarge`, for the caller to word).
public func readAll(_ descriptor: Int32, name: String, limit: Int, tooLarge: String) throws -> [UInt8] {
    var bytes = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { readSome(descriptor, $0) }
        if count < 0 { throw SystemIOError.reading(name, errno) }
        if count == 0 { return bytes }
        bytes.append(contentsOf: chunk[0..<count])
        if bytes.count > limit { throw SystemIOError(.tooLarge, tooLarge) }
    }
}

/// Calls `body` with the name of each entry of `folder` (`.` and `..` too), while the folder
/// is open as `folderDescriptor` (a caller listing `/proc/self/fd` leaves that one out).
///
/// - Returns: false when the folder cannot be opened.
@discardableResult
public func forEachEntry(inFolder folder: String, _ body: (_ name: String, _ folderDescriptor: Int32) -> Void) -> Bool {
    guard let directory = opendir(folder.isEmpty ? "." : folder) else { return false }
    defer { closedir(directory) }
    let own = dirfd(directory)
    while let entry = readdir(directory) {
        body(withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }, own)
    }
    return true
}

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

/// Copies everything readable on `descriptor` to `target`.
///
/// - Throws: ``SystemIOError``: `.unreadable` naming `name`, or the write's error naming `targetName`.
public func copyAll(from descriptor: Int32, name: String, to target: Int32, targetName: String) throws {
    var chunk = [UInt8](repeating: 0, count: 1 << 18)
    while true {
        let count = chunk.withUnsafeMutableBytes { readSome(descriptor, $0) }
        if count < 0 { throw SystemIOError.reading(name, errno) }
        if count == 0 { return }
        let code = chunk.withUnsafeBytes { writeAll(target, UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        if code != 0 { throw SystemIOError.writing(targetName, code) }
    }
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

/// The text of an `errno` value.
public func errnoMessage(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}
