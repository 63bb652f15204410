#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemIO

extension NoteSignerKey {
    /// Writes the key to a new file only its owner can read (mode 0600); an existing file is
    /// never overwritten.
    ///
    /// - Throws: ``LedgerError``: `.conflict` when the file exists, `.storage` when it cannot be written.
    public func write(to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            let code = errno
            if code == EEXIST { throw LedgerError(.conflict, "\(path) exists already; a key file is never overwritten (choose another --out)") }
            throw LedgerError(.storage, "cannot write the key file \(path): \(errnoMessage(code))")
        }
        // The umask may have cleared bits, never added them; make sure nobody else can read it.
        fchmod(descriptor, 0o600)
        let bytes = Array((text + "\n").utf8)
        let code = bytes.withUnsafeBytes { writeAll(descriptor, $0) }
        if code != 0 {
            close(descriptor)
            unlink(path)
            throw LedgerError(.storage, "cannot write the key file \(path): \(errnoMessage(code))")
        }
        guard fsync(descriptor) == 0, close(descriptor) == 0 else {
            unlink(path)
            throw LedgerError(.storage, "cannot write the key file \(path): \(errnoMessage())")
        }
    }

    /// Reads a signing key file, which must not be readable by group or others.
    ///
    /// - Throws: ``LedgerError`` (`.invalidKeyOrNote`) for a missing, unprotected or malformed file.
    public static func read(from path: String) throws -> NoteSignerKey {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw LedgerError(.invalidKeyOrNote, "cannot read the signing key \(path): \(errnoMessage())")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw LedgerError(.invalidKeyOrNote, "the signing key \(path) can be read by others (mode \(String(info.st_mode & 0o777, radix: 8))): chmod 600 \(path)")
        }
        let bytes = try SignedNote.readFile(path: path)
        do {
            return try NoteSignerKey(String(decoding: bytes, as: UTF8.self))
        } catch let error as LedgerError {
            throw LedgerError(error.code, "\(path): \(error.message)")
        }
    }
}

extension NoteVerifierKey {
    /// A verifier key given on a command line: the name of a file holding it, or the key itself.
    ///
    /// - Throws: ``LedgerError`` (`.invalidKeyOrNote`).
    public static func read(fileOrKey argument: String) throws -> NoteVerifierKey {
        if access(argument, F_OK) == 0 {
            let text = String(decoding: try SignedNote.readFile(path: argument), as: UTF8.self)
            let line = text.hasSuffix("\n") ? String(text.dropLast()) : text
            do { return try NoteVerifierKey(line) } catch let error as LedgerError {
                throw LedgerError(error.code, "\(argument): \(error.message)")
            }
        }
        guard argument.contains("+") else {
            throw LedgerError(.invalidKeyOrNote, "no verifier key file \(argument) (give a file or the key itself, name+id+key)")
        }
        return try NoteVerifierKey(argument)
    }
}

extension SignedNote {
    /// Reads a small file whole: a key, a signed note, a proof (at most ``maximumSize`` bytes).
    ///
    /// - Throws: ``LedgerError`` (`.invalidKeyOrNote`) when it cannot be read or is larger.
    public static func readFile(path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw LedgerError(.invalidKeyOrNote, "cannot read \(path): \(errnoMessage())") }
        defer { close(descriptor) }
        do {
            return try readAll(descriptor, name: path, limit: maximumSize,
                               tooLarge: "\(path) is larger than \(maximumSize) bytes: not a key, note or proof")
        } catch let error as SystemIOError {
            throw LedgerError(.invalidKeyOrNote, error.message)
        }
    }
}
