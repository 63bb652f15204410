import CSQLite

/// One row's values bound to a statement without SQLite copying them (`SQLITE_STATIC`).
///
/// Bound with `SQLITE_TRANSIENT`, every text and blob is copied into memory SQLite allocates
/// and frees again: for the append's insert, six allocations and copies an event. Here the
/// values are copied once into a buffer this type owns, which stays put until the next row:
/// ``bind(_:)`` resets the statement (clearing the old bindings) before it reuses the buffer.
///
/// ```swift
/// let row = InPlaceBindings(insert)
/// try row.bind([.int(position), .text(id), .blob(body)])
/// try insert.run()
/// ```
final class InPlaceBindings {
    /// A value to bind: its bytes are copied into the buffer.
    enum Value {
        case int(Int)
        case text(String)
        case blob(UnsafeRawBufferPointer)
    }

    private let statement: SQLiteStatement
    private var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)

    init(_ statement: SQLiteStatement) {
        self.statement = statement
    }

    deinit {
        // No binding may outlive the buffer.
        statement.reset()
        buffer.deallocate()
    }

    /// Resets the statement, then binds `values` to its parameters 1, 2, ... in place.
    ///
    /// - Throws: ``SQLiteError`` when SQLite refuses a value (too large).
    func bind(_ values: [Value]) throws {
        statement.reset()
        var needed = 0
        for value in values {
            switch value {
            case .int: break
            case .text(let text): needed += text.utf8.count
            case .blob(let bytes): needed += bytes.count
            }
        }
        if needed > buffer.count {
            buffer.deallocate()
            buffer = .allocate(byteCount: max(needed, 2 * buffer.count), alignment: 8)
        }
        var offset = 0
        for (index, value) in zip(Int32(1)..., values) {
            switch value {
            case .int(let number):
                statement.bind(number, at: index)
            case .text(var text):
                let start = offset
                offset += text.withUTF8 { utf8 in
                    UnsafeMutableRawBufferPointer(rebasing: buffer[start...]).copyMemory(from: UnsafeRawBufferPointer(utf8))
                    return utf8.count
                }
                try statement.bindInPlace(text: UnsafeRawBufferPointer(rebasing: buffer[start..<offset]), at: index)
            case .blob(let bytes):
                let start = offset
                UnsafeMutableRawBufferPointer(rebasing: buffer[start...]).copyMemory(from: bytes)
                offset += bytes.count
                try statement.bindInPlace(blob: UnsafeRawBufferPointer(rebasing: buffer[start..<offset]), at: index)
            }
        }
    }
}
