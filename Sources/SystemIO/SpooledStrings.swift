/// Strings appended in order and read back in the same order, held in memory up to a limit
/// and in a ``SpoolFile`` past it: a list as long as a report (the failures a run of a million
/// cases detected) without the memory of a million strings.
///
/// Each string is kept as a 4-byte length and its UTF-8; a small list never makes a file.
///
/// ```swift
/// let list = SpooledStrings()
/// try list.append("failure-1")
/// var strings = list.makeReader()
/// while let text = try strings.next() { print(text) }
/// ```
public final class SpooledStrings {
    private var held: [UInt8] = []
    private var spool: SpoolFile?
    /// The strings appended so far.
    public private(set) var count = 0
    /// Bytes kept in memory before they move to a temporary file.
    public let memoryLimit: Int

    public init(memoryLimit: Int = 1 << 20) {
        self.memoryLimit = max(1, memoryLimit)
    }

    /// Appends `text`.
    ///
    /// - Throws: ``SystemIOError`` when the temporary file cannot be made or written.
    public func append(_ text: String) throws {
        var text = text
        text.withUTF8 { utf8 in
            withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { held.append(contentsOf: $0) }
            held.append(contentsOf: utf8)
        }
        count += 1
        guard held.count >= memoryLimit else { return }
        if spool == nil { spool = try SpoolFile() }
        try spool!.write(held)
        held.removeAll(keepingCapacity: true)
    }

    /// Reads the strings from the first, one at a time. The list must not grow while a reader
    /// is in use.
    public func makeReader() -> Reader {
        Reader(list: self)
    }

    /// Calls `body` with each string in order.
    ///
    /// - Throws: what `body` throws, or ``SystemIOError`` when the temporary file cannot be read.
    public func forEach(_ body: (String) throws -> Void) throws {
        var reader = makeReader()
        while let text = try reader.next() { try body(text) }
    }

    /// Reads a ``SpooledStrings`` from its start: the file in 64 KiB pieces, then what is held.
    public struct Reader {
        private let list: SpooledStrings
        /// Where the next piece of the file starts.
        private var fileOffset = 0
        private var fileSize: Int
        /// Bytes read and not yet taken (a string may span two pieces).
        private var pending: [UInt8] = []
        private var pendingStart = 0
        private var inHeld = false

        init(list: SpooledStrings) {
            self.list = list
            fileSize = list.spool?.size ?? 0
        }

        /// The next string, or nil at the end.
        ///
        /// - Throws: ``SystemIOError`` when the temporary file cannot be read.
        public mutating func next() throws -> String? {
            while true {
                if let text = take() { return text }
                if fileOffset < fileSize, let spool = list.spool {
                    let count = min(1 << 16, fileSize - fileOffset)
                    pending.removeFirst(pendingStart)
                    pendingStart = 0
                    try spool.read(from: fileOffset, count: count) { pending.append(contentsOf: $0) }
                    fileOffset += count
                } else if !inHeld {
                    inHeld = true
                    pending.removeFirst(pendingStart)
                    pendingStart = 0
                    pending.append(contentsOf: list.held)
                } else {
                    return nil
                }
            }
        }

        /// The string at the front of `pending`, if all of it was read.
        private mutating func take() -> String? {
            guard pending.count - pendingStart >= 4 else { return nil }
            let length = pending.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: pendingStart, as: UInt32.self))) }
            guard pending.count - pendingStart - 4 >= length else { return nil }
            let start = pendingStart + 4
            pendingStart = start + length
            return String(decoding: pending[start..<pendingStart], as: UTF8.self)
        }
    }
}
