import ArgumentParser

extension Remedy.Append {
    /// `remedy append`'s arguments read without ArgumentParser, when they are the plain
    /// `--option value` and `--flag` words a CI script writes; nil for anything else.
    ///
    /// Why: CI appends one event per process, and in so short a process ArgumentParser's first
    /// use of reflection costs more than the append: the Swift runtime answers each of its
    /// first questions about a type ("is `Option<String?>` an `ArgumentSetProvider`?") by
    /// scanning every protocol conformance in the binary, over 200 times per parse, about two
    /// thirds of a single append's instructions. This reader only takes the words it is sure
    /// of; help, an `--option=value` form, an unknown, repeated or option-like word, a number
    /// that does not parse or a refused combination return nil, and ArgumentParser parses the
    /// same words as always, so every message and exit code stays its own.
    ///
    ///     remedy append --ledger ci.db --stream fix-42 --type FixProposed --data @fix.json
    ///
    /// Both readers make an ``AppendRequest``; a test parses a table of command lines both ways
    /// and expects the same request, and checks that this reader knows every option `append`
    /// declares.
    static func direct(_ arguments: ArraySlice<String>) -> AppendRequest? {
        var values: [String: String] = [:]
        var flags: Set<String> = []
        var words = arguments.makeIterator()
        while let word = words.next() {
            if flagNames.contains(word) {
                guard flags.insert(word).inserted else { return nil }
            } else if valueNames.contains(word) {
                guard values[word] == nil, let value = words.next(), value == "-" || !value.hasPrefix("-") else { return nil }
                values[word] = value
            } else {
                return nil
            }
        }

        guard let busyTimeout = number(values["--busy-timeout"], default: LedgerOptions.defaultBusyTimeout),
              let expectVersion = optionalNumber(values["--expect-version"], of: Int.self),
              let schemaVersion = optionalNumber(values["--schema-version"], of: Int.self) else { return nil }
        let request = AppendRequest(
            ledger: values["--ledger"], busyTimeout: busyTimeout, stream: values["--stream"], type: values["--type"],
            data: values["--data"], id: values["--id"], actor: values["--actor"], correlationID: values["--correlation-id"],
            causationID: values["--causation-id"], traceID: values["--trace-id"], expectVersion: expectVersion,
            expectNew: flags.contains("--expect-new"), schemaVersion: schemaVersion, ndjson: values["--ndjson"],
            initialize: flags.contains("--init"), json: flags.contains("--json"))
        guard (try? request.validate()) != nil else { return nil }
        return request
    }

    /// The options `direct` reads a value after, by their long names.
    static let valueNames: Set<String> = [
        "--ledger", "--busy-timeout", "--stream", "--type", "--data", "--id", "--actor", "--correlation-id",
        "--causation-id", "--trace-id", "--expect-version", "--schema-version", "--ndjson",
    ]

    /// The flags `direct` reads, by their long names.
    static let flagNames: Set<String> = ["--expect-new", "--init", "--json"]

    /// A number option's value as ArgumentParser reads it (`Int("…")`, `Double("…")`), its
    /// default when absent, nil when it does not parse.
    private static func number<Value: LosslessStringConvertible>(_ text: String?, default value: Value) -> Value? {
        guard let text else { return value }
        return Value(text)
    }

    /// An optional number option's value: `.some(nil)` when absent, nil when it does not parse.
    private static func optionalNumber<Value: LosslessStringConvertible>(_ text: String?, of _: Value.Type) -> Value?? {
        guard let text else { return .some(nil) }
        return Value(text).map { .some($0) }
    }
}
