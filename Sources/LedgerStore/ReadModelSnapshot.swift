import Projections

/// The rows of a projection's tables as they stood at a position, stored in
/// `projection_snapshots` so that time travel (``Ledger/projectInMemory(_:through:logs:)``) folds
/// from the nearest snapshot before the point asked for, not from the first event.
///
/// Snapshots are taken by the folds that update the live tables (catch-up and rebuild) each
/// time they pass a multiple of ``LedgerConfiguration/snapshotInterval``. A fold is pure, so a
/// snapshot at position P equals the tables a fold of events 1...P gives; rebuilding the
/// projection at a new version drops its old snapshots. Tables whose rows are only ever added
/// (``ReadModelTable/appendOnly``) are not stored: their rows up to P are read back from the
/// live table by ``ReadModelTable/positionColumn``.
///
/// The encoding is private to this file: per stored table, the row count, then each value as a
/// tag (NULL, integer, text, the same text as the row before in that column) and its bytes.
/// Rows come in key order, so texts repeat down a column (suites, skills, runs, statuses);
/// comparing with the row above costs no hashing, which a snapshot taken every 100,000
/// events of a rebuild would otherwise pay for every value.
struct ReadModelSnapshot {
    /// The tables stored, in the projection's order (without the append-only ones).
    static func storedTables(of projection: any Projection.Type) -> [ReadModelTable] {
        projection.tables.filter { !$0.appendOnly }
    }

    /// What one stored table took in an encoding: its rows, and the bytes they took (without
    /// the row count that leads them, ``countPrefix(_:)``).
    struct EncodedTable: Equatable {
        var rows: UInt64
        var bytes: Int
    }

    /// Encodes the stored tables of `projection`, each row as `rows` steps through the table
    /// in key order, handing the bytes of the rows to `write` about 64 KiB at a time: no table
    /// is ever held, as rows or as bytes. (Held as rows, a snapshot of a ledger's 100,000
    /// cases took 66 MB, and its bytes 16 MB more.) The stored encoding is, for each table,
    /// ``countPrefix(_:)`` of its rows and then their bytes.
    ///
    /// ```swift
    /// let tables = try ReadModelSnapshot.encode(CaseHistoryProjection.self, rows: { table, body in
    ///     try sink.forEachRow(table, body)
    /// }, write: { try spool.write($0) })
    /// ```
    static func encode(_ projection: any Projection.Type, rows: (ReadModelTable, ([RowValue]) throws -> Void) throws -> Void,
                       write: ([UInt8]) throws -> Void) throws -> [EncodedTable] {
        // The rows arrive through one closure and leave through the other.
        try withoutActuallyEscaping(write) { write in try encode(projection, rows: rows, handingTo: write) }
    }

    private static func encode(_ projection: any Projection.Type, rows: (ReadModelTable, ([RowValue]) throws -> Void) throws -> Void,
                               handingTo write: @escaping ([UInt8]) throws -> Void) throws -> [EncodedTable] {
        var writer = Writer()
        var tables: [EncodedTable] = []
        for table in storedTables(of: projection) {
            var encoded = EncodedTable(rows: 0, bytes: 0)
            var above: [RowValue] = []
            func hand() throws {
                encoded.bytes += writer.bytes.count
                try write(writer.bytes)
                writer.bytes.removeAll(keepingCapacity: true)
            }
            try rows(table) { row in
                for (column, value) in row.enumerated() {
                    if column < above.count, case .text(let text) = value, case .text(let previous) = above[column], text == previous {
                        writer.bytes.append(Tag.sameAsAbove.rawValue)
                    } else {
                        writer.value(value)
                    }
                }
                above = row
                encoded.rows += 1
                if writer.bytes.count >= 1 << 16 { try hand() }
            }
            try hand()
            tables.append(encoded)
        }
        return tables
    }

    /// The row count that leads a table's rows in the stored encoding.
    static func countPrefix(_ rows: UInt64) -> [UInt8] {
        var writer = Writer()
        writer.varint(rows)
        return writer.bytes
    }

    /// The rows of each stored table of `projection`.
    ///
    /// - Throws: ``LedgerError`` (`.corrupt`) when the bytes do not hold them.
    static func decode(_ bytes: [UInt8], of projection: any Projection.Type) throws -> [[[RowValue]]] {
        var reader = Reader(bytes: bytes)
        var tables: [[[RowValue]]] = []
        for table in storedTables(of: projection) {
            let count = try reader.varint()
            guard count <= UInt64(bytes.count) else { throw reader.damaged() }
            var rows: [[RowValue]] = []
            rows.reserveCapacity(Int(count))
            for _ in 0..<count {
                var row: [RowValue] = []
                row.reserveCapacity(table.columns.count)
                for column in table.columns.indices {
                    let value = try reader.value()
                    if case .sameAsAbove = value {
                        guard let above = rows.last, case .text = above[column] else { throw reader.damaged() }
                        row.append(above[column])
                    } else if case .value(let value) = value {
                        row.append(value)
                    }
                }
                rows.append(row)
            }
            tables.append(rows)
        }
        guard reader.offset == bytes.count else { throw reader.damaged() }
        return tables
    }

    private enum Tag: UInt8 {
        case null = 0, integer = 1, text = 2, sameAsAbove = 3
    }

    /// A value read: a value, or the same text as the row above.
    private enum Read {
        case value(RowValue)
        case sameAsAbove
    }

    private struct Writer {
        var bytes: [UInt8] = []

        mutating func varint(_ value: UInt64) {
            var value = value
            while value >= 0x80 {
                bytes.append(UInt8(value & 0x7f) | 0x80)
                value >>= 7
            }
            bytes.append(UInt8(value))
        }

        mutating func value(_ value: RowValue) {
            switch value {
            case .null:
                bytes.append(Tag.null.rawValue)
            case .integer(let number):
                bytes.append(Tag.integer.rawValue)
                varint(UInt64(bitPattern: Int64((number << 1) ^ (number >> 63))))
            case .text(let text):
                bytes.append(Tag.text.rawValue)
                let utf8 = text.utf8
                varint(UInt64(utf8.count))
                bytes.append(contentsOf: utf8)
            }
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        func damaged() -> LedgerError {
            LedgerError(.corrupt, "a read-model snapshot is damaged at byte \(offset); run `remedy projections rebuild`")
        }

        mutating func byte() throws -> UInt8 {
            guard offset < bytes.count else { throw damaged() }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func varint() throws -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                let byte = try byte()
                guard shift < 64 else { throw damaged() }
                value |= UInt64(byte & 0x7f) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }

        mutating func value() throws -> Read {
            switch Tag(rawValue: try byte()) {
            case .null:
                return .value(.null)
            case .integer:
                let zigzag = try varint()
                return .value(.integer(Int(Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1))))
            case .text:
                let count = Int(clamping: try varint())
                guard count <= bytes.count - offset else { throw damaged() }
                let text = String(decoding: bytes[offset..<offset + count], as: UTF8.self)
                offset += count
                return .value(.text(text))
            case .sameAsAbove:
                return .sameAsAbove
            case nil:
                throw damaged()
            }
        }
    }
}
