#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension UnsafeBufferPointer<UInt8> {
    /// The index of the first `byte` in `range`, found with `memchr` (vectorised in the C
    /// library): how the readers jump across long runs of text to the next quote, newline or
    /// `]` instead of looking at every byte.
    ///
    /// ```swift
    /// Array("a\"b".utf8).withUnsafeBufferPointer { $0.firstIndex(of: UInt8(ascii: "\""), in: 0..<3) }   // 1
    /// ```
    func firstIndex(of byte: UInt8, in range: Range<Int>) -> Int? {
        guard let base = baseAddress, !range.isEmpty else { return nil }
        guard let found = memchr(base + range.lowerBound, Int32(byte), range.count) else { return nil }
        return UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
    }
}
