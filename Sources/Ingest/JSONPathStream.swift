#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SystemIO

/// Reads a JSON document from a file a chunk at a time and hands over the values found at
/// chosen paths (`results.tests[*]`, `runs[*].tool`), skipping everything else unread: how a
/// report of any size is read in the memory of its largest element.
///
/// The walk checks the document's structure (strings closed, brackets matched, one document,
/// nothing cut off); the values handed over are checked by the decoder that reads them.
struct JSONPathStream {
    /// One step of a path: a member's key, or any element of an array.
    enum Step: Hashable { case key(String), element }

    let descriptor: Int32
    let name: String
    /// The largest value handed over.
    var maximumValueSize = 64 << 20

    /// A container being walked.
    private struct Frame {
        var isObject: Bool
        /// In an object, the key of the member whose value comes (or is being read).
        var key: String?
        var expectsKey = true
        /// In an array, the index of the element being read.
        var index = -1
    }

    /// Walks the file from its start, calling `found` with the index of the matching pattern
    /// and the bytes of each value at one of `patterns`, in document order.
    ///
    /// - Throws: ``IngestError`` naming the file and the byte offset of a structural error.
    func walk(_ patterns: [[Step]], _ found: (Int, [UInt8]) throws -> Void) throws {
        try walk(patterns) { pattern, bytes, _ in try found(pattern, bytes) }
    }

    /// ``walk(_:_:)``, with the index of each array element on the value's path (for
    /// `runs[*].results[*]`: the run's and the result's).
    func walk(_ patterns: [[Step]], _ found: (Int, [UInt8], [Int]) throws -> Void) throws {
        let deepest = patterns.map(\.count).max() ?? 0
        var frames: [Frame] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var offset = 0
        var inString = false, escaped = false
        var keyBytes: [UInt8]? = nil   // the key being read, when a string is a key
        var capture: (pattern: Int, depth: Int, bytes: [UInt8], indices: [Int])? = nil
        var inScalar = false
        var sawDocument = false
        var pendingContinuations = 0

        func fail(_ message: String, _ at: Int) -> IngestError {
            IngestError(.malformed, "\(name): not valid JSON at byte \(at): \(message)")
        }
        /// The pattern a value starting now matches, if any (only near the top: patterns are short).
        func match() -> Int? {
            guard frames.count <= deepest else { return nil }
            return patterns.firstIndex { pattern in
                guard pattern.count == frames.count else { return false }
                for (step, frame) in zip(pattern, frames) {
                    switch step {
                    case .element: if frame.isObject { return false }
                    case .key(let key): if !frame.isObject || frame.key != key { return false }
                    }
                }
                return true
            }
        }

        while true {
            let count = chunk.withUnsafeMutableBytes { readSome(descriptor, $0, at: offset) }
            if count < 0 { throw IngestError(.unreadable, "cannot read \(name): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            try chunk.withUnsafeBufferPointer { buffer in
                var index = 0
                var captureFrom = 0
                while index < count {
                    let byte = buffer[index]
                    if byte >= 0x80 || pendingContinuations > 0 {
                        // UTF-8, checked as it streams by: a lead byte and its continuations.
                        if pendingContinuations > 0 {
                            guard byte & 0xC0 == 0x80 else { throw fail("bytes that are not UTF-8", offset + index) }
                            pendingContinuations -= 1
                        } else {
                            switch byte {
                            case 0xC2...0xDF: pendingContinuations = 1
                            case 0xE0...0xEF: pendingContinuations = 2
                            case 0xF0...0xF4: pendingContinuations = 3
                            default: throw fail("bytes that are not UTF-8", offset + index)
                            }
                        }
                    }
                    if inString {
                        if escaped {
                            escaped = false
                        } else if byte == UInt8(ascii: "\\") {
                            escaped = true
                        } else if byte == UInt8(ascii: "\"") {
                            inString = false
                            if keyBytes != nil {
                                frames[frames.count - 1].key = String(decoding: keyBytes!, as: UTF8.self)
                                keyBytes = nil
                            } else if let open = capture, open.depth == frames.count {
                                // A captured string value ends here.
                                capture!.bytes += buffer[captureFrom...index]
                                try found(open.pattern, capture!.bytes, open.indices)
                                capture = nil
                            }
                        } else if keyBytes != nil {
                            keyBytes!.append(byte)
                        }
                        index += 1
                        continue
                    }
                    if inScalar {
                        switch byte {
                        case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09:
                            inScalar = false
                            if let open = capture, open.depth == frames.count {
                                capture!.bytes += buffer[captureFrom..<index]
                                try found(open.pattern, capture!.bytes, open.indices)
                                capture = nil
                            }
                            continue   // the delimiter is read again below
                        default:
                            index += 1
                            continue
                        }
                    }
                    switch byte {
                    case 0x20, 0x0A, 0x0D, 0x09:
                        break
                    case UInt8(ascii: ","):
                        guard !frames.isEmpty else { throw fail("a comma outside any container", offset + index) }
                        if frames[frames.count - 1].isObject { frames[frames.count - 1].expectsKey = true }
                    case UInt8(ascii: ":"):
                        guard let last = frames.last, last.isObject, !last.expectsKey else { throw fail("a colon out of place", offset + index) }
                    case UInt8(ascii: "}"), UInt8(ascii: "]"):
                        guard let last = frames.popLast(), last.isObject == (byte == UInt8(ascii: "}")) else {
                            throw fail("a closing bracket that closes nothing open", offset + index)
                        }
                        if let open = capture, open.depth == frames.count {
                            capture!.bytes += buffer[captureFrom...index]
                            try found(open.pattern, capture!.bytes, open.indices)
                            capture = nil
                        }
                    default:
                        // A value begins: a member's key, or a value (a container, a string, a scalar).
                        if let last = frames.last, last.isObject, last.expectsKey {
                            guard byte == UInt8(ascii: "\"") else { throw fail("a member without a quoted key", offset + index) }
                            frames[frames.count - 1].expectsKey = false
                            inString = true
                            keyBytes = []
                            break
                        }
                        if frames.isEmpty {
                            guard !sawDocument else { throw fail("a second document after the first", offset + index) }
                            sawDocument = true
                        } else if !frames[frames.count - 1].isObject {
                            frames[frames.count - 1].index += 1
                        }
                        if capture == nil, let pattern = match() {
                            capture = (pattern, frames.count, [], frames.filter { !$0.isObject }.map(\.index))
                            captureFrom = index
                        }
                        switch byte {
                        case UInt8(ascii: "{"): frames.append(Frame(isObject: true))
                        case UInt8(ascii: "["): frames.append(Frame(isObject: false))
                        case UInt8(ascii: "\""): inString = true
                        default: inScalar = true
                        }
                    }
                    index += 1
                }
                if var open = capture {
                    open.bytes += buffer[captureFrom..<count]
                    guard open.bytes.count <= maximumValueSize else {
                        throw IngestError(.unsupported, "\(name): a value over \(maximumValueSize >> 20) MiB at byte \(offset + count)")
                    }
                    capture = open
                }
            }
            offset += count
        }
        if inScalar, let open = capture, open.depth == frames.count {
            try found(open.pattern, open.bytes, open.indices)
            capture = nil
            inScalar = false
        }
        guard !inString, frames.isEmpty, sawDocument, pendingContinuations == 0 else {
            throw IngestError(.malformed, "\(name): not valid JSON: it ends early (truncated?)")
        }
    }
}
