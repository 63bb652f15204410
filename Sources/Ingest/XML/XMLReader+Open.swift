#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension XMLReader {
    /// Opens a report file, choosing the decoding from its byte order mark or XML declaration.
    ///
    /// UTF-8 (with or without a BOM) is read as is; UTF-16 with a BOM and ISO-8859-1 (as
    /// declared) are transcoded to UTF-8 on the fly. A declaration naming any other encoding
    /// is refused rather than misread.
    ///
    /// - Throws: ``IngestError`` (`.unreadable`, `.unsupported`).
    static func open(path: String, descriptor: Int32) throws -> XMLReader {
        var file = FileByteSource(descriptor: descriptor, name: path)
        var head = [UInt8](repeating: 0, count: 4096)
        var count = 0
        while count < head.count {
            let read = try head.withUnsafeMutableBytes { try file.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[count...])) }
            if read == 0 { break }
            count += read
        }
        head.removeSubrange(count...)
        if head.starts(with: [0xFF, 0xFE]) || head.starts(with: [0xFE, 0xFF]) {
            let bigEndian = head[0] == 0xFE
            let rest = ChainedByteSource(head: MemoryByteSource(Array(head.dropFirst(2))), tail: file)
            return XMLReader(source: UTF16ToUTF8Source(base: rest, bigEndian: bigEndian), name: path)
        }
        let chained = ChainedByteSource(head: MemoryByteSource(head), tail: file)
        switch declaredEncoding(head)?.lowercased() {
        case nil, "utf-8", "utf8", "us-ascii", "ascii":
            return XMLReader(source: chained, name: path)
        case "iso-8859-1", "latin1", "latin-1", "iso8859-1", "l1":
            return XMLReader(source: Latin1ToUTF8Source(base: chained), name: path)
        case let other?:
            throw IngestError(.unsupported, "\(path): line 1: the declared encoding '\(other)' is not supported (UTF-8, UTF-16 with a byte order mark, ISO-8859-1)")
        }
    }

    /// The `encoding="..."` of an XML declaration at the start of `head`, if any.
    static func declaredEncoding(_ head: [UInt8]) -> String? {
        var bytes = head[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard bytes.starts(with: Array("<?xml".utf8)), let close = bytes.firstIndex(of: UInt8(ascii: ">")) else { return nil }
        let declaration = Array(bytes[..<close])
        let keyword = Array("encoding".utf8)
        guard let at = (0...max(0, declaration.count - keyword.count)).first(where: { declaration[$0...].starts(with: keyword) }),
              declaration.count >= keyword.count else { return nil }
        var rest = Substring(String(decoding: declaration[(at + keyword.count)...], as: UTF8.self))
            .drop(while: { $0 == " " || $0 == "=" })
        guard let quote = rest.first, quote == "\"" || quote == "'" else { return nil }
        rest = rest.dropFirst()
        guard let end = rest.firstIndex(of: quote) else { return nil }
        return String(rest[..<end])
    }
}
