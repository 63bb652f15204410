import Events

/// A row of a read-model table as a Swift value: folds, views and commands read and write its
/// fields by name, and only the row type itself knows the order of the table's columns.
///
/// A row type declares its table (name, columns in stored order, key, indexes) and maps itself
/// to and from the stored values in that order, in one place. The engine stores `values`; a
/// fold reads a row back with `init(values:)`.
///
/// ```swift
/// struct GuardRow: ReadModelRow {
///     static let table = ReadModelTable(name: "guards", columns: [...], keyColumns: 2, documentation: "...")
///     var suite: String
///     var caseKey: String
///     var state: GuardState
///     ...
/// }
/// if var guardRow = try rows.row(GuardRow.self, key: GuardRow.key(suite: "golden", caseKey: "a")) {
///     guardRow.state = .slipped
///     writes.append(.put(guardRow))
/// }
/// ```
public protocol ReadModelRow: Sendable, Equatable {
    /// The table the rows live in.
    static var table: ReadModelTable { get }

    /// A row from its stored values, in the table's column order. Lenient: a value of another
    /// type reads as empty, since read models are rebuilt from events, not trusted as input.
    init(values: [RowValue])

    /// The stored values, in the table's column order.
    var values: [RowValue] { get }
}

extension ReadModelRow {
    /// The values of the key columns: what identifies the row in its table.
    public var key: [RowValue] { Array(values.prefix(Self.table.keyColumns)) }
}

extension RowValue {
    /// Text, or NULL for nil.
    public init(_ text: String?) {
        self = text.map { .text($0) } ?? .null
    }

    /// An integer, or NULL for nil.
    public init(_ number: Int?) {
        self = number.map { .integer($0) } ?? .null
    }

    /// A flag, stored as 1 or 0.
    public init(_ flag: Bool) {
        self = .integer(flag ? 1 : 0)
    }

    /// A word of the vocabulary, stored as its text; NULL for nil.
    public init<Word: VocabularyWord>(_ word: Word?) {
        self = word.map { .text($0.rawValue) } ?? .null
    }

    /// The integer, or nil for NULL or text.
    public var integer: Int? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// A flag stored as an integer: anything but 0 (or NULL) is set.
    public var flag: Bool { number != 0 }

    /// The vocabulary word stored as text, or nil.
    public func word<Word: VocabularyWord>(_: Word.Type = Word.self) -> Word? {
        text.flatMap(Word.init(rawValue:))
    }
}

extension RowReader {
    /// A row of a typed table, as it stands after every write so far.
    ///
    /// Inlined where it is called: a fold calls it through a `RowReader` existential, which left
    /// unspecialized cost a generic `Optional.map` and a copy of the table's schema per row read.
    @inline(__always)
    public func row<Row: ReadModelRow>(_: Row.Type, key: [RowValue]) throws -> Row? {
        guard let values = try row(Row.table.name, key: key) else { return nil }
        return Row(values: values)
    }
}

extension RowWrite {
    /// Inserts or replaces a typed row.
    public static func put(_ row: some ReadModelRow) -> RowWrite {
        .upsert(table: type(of: row).table.name, row: row.values)
    }

    /// Deletes the row of a typed table with this key.
    public static func remove<Row: ReadModelRow>(_: Row.Type, key: [RowValue]) -> RowWrite {
        .delete(table: Row.table.name, key: key)
    }
}

extension EventWrites {
    /// A typed row as it stands after the writes so far.
    public func row<Row: ReadModelRow>(_: Row.Type, _ key: [RowValue]) throws -> Row? {
        try row(Row.self, key: key)
    }

    /// Inserts or replaces a typed row.
    public mutating func put(_ row: some ReadModelRow) {
        put(type(of: row).table, row.values)
    }

    /// Deletes the row of a typed table with this key.
    public mutating func remove<Row: ReadModelRow>(_: Row.Type, _ key: [RowValue]) {
        remove(Row.table, key)
    }
}

extension MemoryRows {
    /// A typed table's rows, sorted by key.
    public func rows<Row: ReadModelRow>(_: Row.Type) -> [Row] {
        rows(Row.table.name).map(Row.init(values:))
    }
}
