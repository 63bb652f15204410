import Projections

/// The rows of a projection's tables as they stood at a position, stored in
/// `projection_snapshots` so that time travel (``Ledger/projectInMemory(_:through:)``) folds
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
/// tag (NULL, integer, new text, text seen before by index) and its bytes. Texts repeat a lot
/// (suites, skills, runs, statuses), so each is written once per snapshot.
struct ReadModelSnapshot {
    /// The tables stored, in the projection's order (without the append-only ones).
    static func storedTables(of projection: any Projection.Type) -> [ReadModelTable] {
        projection.tables.filter { !$0.appendOnly }
    }

    static func encode(_ tables: [[[RowValue]]]) -> [UInt8] {
        var writer = Writer()
        for rows in tables {
            writer.varint(UInt64(rows.count))
            for row in rows { for value in row { writer.value(value) } }
        }
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
                for _ in table.columns { row.append(try reader.value()) }
                rows.append(row)
            }
            tables.append(rows)
        }
        guard reader.offset == bytes.count else { throw reader.damaged() }
        return tables
    }

    private enum Tag: UInt8 {
        case null = 0, integer = 1, text = 2, repeatedText = 3
    }

    private struct Writer {
        var bytes: [UInt8] = []
        var texts: [String: UInt64] = [:]

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
                if let index = texts[text] {
                    bytes.append(Tag.repeatedText.rawValue)
                    varint(index)
                } else {
                    texts[text] = UInt64(texts.count)
                    bytes.append(Tag.text.rawValue)
                    let utf8 = text.utf8
                    varint(UInt64(utf8.count))
                    bytes.append(contentsOf: utf8)
                }
            }
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0
        var texts: [String] = []

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

        mutating func value() throws -> RowValue {
            switch Tag(rawValue: try byte()) {
            case .null:
                return .null
            case .integer:
                let zigzag = try varint()
                return .integer(Int(Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)))
            case .text:
                let count = Int(clamping: try varint())
                guard count <= bytes.count - offset else { throw damaged() }
                let text = String(decoding: bytes[offset..<offset + count], as: UTF8.self)
                offset += count
                texts.append(text)
                return .text(text)
            case .repeatedText:
                let index = try varint()
                guard index < UInt64(texts.count) else { throw damaged() }
                return .text(texts[Int(index)])
            case nil:
                throw damaged()
            }
        }
    }
}
