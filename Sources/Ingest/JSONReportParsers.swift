#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Events

/// promptfoo's `-o results.json` (results version 3): one case per entry of `results.results`.
///
/// A case's key is `description [provider] #prompt` (the test's description, or `test N`), so
/// the same test against two providers or prompts is two cases. `failureReason` 1 is an
/// assertion failure (fail), 2 a provider or runtime error (error); scores are kept as text.
struct PromptfooReportParser {
    let name: String

    /// Reads the file in two streaming passes: its results version, then its results one at a
    /// time (memory follows the largest result, not the file).
    func parse(descriptor: Int32, _ sink: (CaseOutcome) throws -> Void) throws -> ReportFacts {
        let stream = JSONPathStream(descriptor: descriptor, name: name)
        var version: Int?, sawResults = false
        try stream.walk([[.key("results"), .key("version")], [.key("results"), .key("timestamp")]]) { pattern, bytes in
            if pattern == 0 { version = try ReportJSON.decode(Int.self, bytes, file: name, what: "promptfoo result file", at: "results.version") }
            sawResults = true
        }
        guard version == nil || version == 3 else {
            throw IngestError(.unsupported, "\(name): promptfoo results version \(version!) (remedy reads version 3)")
        }
        var facts = ReportFacts(format: .promptfoo)
        facts.producer = "promptfoo"
        var seen = SeenKeys()
        var index = 0
        try stream.walk([[.key("results"), .key("results"), .element]]) { _, bytes in
            defer { index += 1 }
            let result = try ReportJSON.decode(PromptfooFile.Result.self, bytes, file: name, what: "promptfoo result file", at: "results.results[\(index)]")
            try record(result, &facts, &seen, sink)
        }
        guard index > 0 || sawResults else {
            throw IngestError(.malformed, "\(name): not a valid promptfoo result file: no results.results")
        }
        facts.counts.duplicates += try seen.duplicates()
        return facts
    }

    private func record(_ result: PromptfooFile.Result, _ facts: inout ReportFacts, _ seen: inout SeenKeys,
                        _ sink: (CaseOutcome) throws -> Void) throws {
        let description = result.testCase?.description ?? "test \(result.testIdx ?? 0)"
        let provider = result.provider?.label.flatMap { $0.isEmpty ? nil : $0 } ?? result.provider?.id ?? "provider"
        let key = CaseOutcome.caseKey("\(description) [\(provider)] #\(result.promptIdx ?? 0)")
        let status: CaseOutcome.Status = result.success == true ? .pass : result.failureReason == 2 ? .error : .fail
        var outcome = CaseOutcome(key: key, status: status)
        outcome.score = result.score.map(ReportDecimal.text)
        outcome.durationMilliseconds = CaseOutcome.milliseconds(result.latencyMs)
        outcome.message = CaseOutcome.bounded(status == .pass ? nil : result.error ?? result.gradingResult?.reason)
        outcome.actual = CaseOutcome.Evidence(result.response?.output?.text)
        if status != .pass, let failed = result.gradingResult?.componentResults?.first(where: { $0.pass == false })?.assertion {
            outcome.expected = CaseOutcome.Evidence([failed.type, failed.value?.text].compactMap { $0 }.joined(separator: ": "))
        }
        if let metadata = result.testCase?.metadata {
            outcome.traceID = CaseOutcome.bounded(metadata["trace_id"] ?? metadata["traceId"], to: CaseOutcome.maximumPropertyLength)
            for (name, value) in metadata.prefix(CaseOutcome.maximumProperties) {
                outcome.properties[CaseOutcome.bounded(name, to: CaseOutcome.maximumPropertyLength) ?? ""] =
                    CaseOutcome.bounded(value, to: CaseOutcome.maximumPropertyLength) ?? ""
            }
            outcome.skill = metadata["skill"] ?? metadata["component"]
        }
        try facts.counts.count(outcome, seen: &seen)
        try sink(outcome)
    }
}

/// inspect_ai's JSON eval log: one case per sample (and epoch) in the file.
///
/// A sample scored `I` (incorrect) by its first scorer fails, one with an `error` errors,
/// the rest pass; a bare `NaN` score (inspect writes them) is no score. A case's key is
/// `task/sample-id` (with `#epoch` after the first epoch). The `.eval` ZIP form of the same
/// log gives the same cases (``InspectEvalReader``).
struct InspectReportParser {
    let name: String

    /// Reads the log in two streaming passes: its `eval` header, then its samples one at a time
    /// (memory follows the largest sample, not the file).
    func parse(descriptor: Int32, _ sink: (CaseOutcome) throws -> Void) throws -> ReportFacts {
        let stream = JSONPathStream(descriptor: descriptor, name: name)
        var eval: InspectLog.Eval?
        try stream.walk([[.key("eval")]]) { _, bytes in
            eval = try Self.decode(InspectLog.Eval.self, from: Data(bytes), name: name, what: "inspect_ai log (eval)")
        }
        guard let eval else { throw IngestError(.malformed, "\(name): not a valid inspect_ai log: it has no eval header") }
        var facts = ReportFacts(format: .inspect)
        facts.producer = "inspect_ai"
        var seen = SeenKeys()
        var index = 0
        try stream.walk([[.key("samples"), .element]]) { _, bytes in
            defer { index += 1 }
            let sample = try InspectSampleFields.sample(bytes) ?? Self.decode(
                InspectLog.Sample.self, from: Data(JSONSkimmer.object(of: bytes, keeping: InspectLog.Sample.keys)),
                name: name, what: "inspect_ai log (samples[\(index)])")
            let outcome = Self.outcome(sample, task: eval.task)
            try facts.counts.count(outcome, seen: &seen)
            try sink(outcome)
        }
        Self.checkDeclared(eval, &facts)
        facts.counts.duplicates += try seen.duplicates()
        return facts
    }

    /// Decodes inspect's JSON, whose non-finite numbers (`NaN`, `Infinity`) JSON has no word
    /// for: they read as null.
    static func decode<T: Decodable>(_: T.Type, from data: Data, name: String, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(NonFiniteNumbers.nulled(Array(data))))
        } catch {
            throw IngestError(.malformed, "\(name): not a valid \(what): \(DecodingErrorText.describe(error))")
        }
    }

    /// A log that declares samples and holds none is counted by what it holds, and says so.
    static func checkDeclared(_ eval: InspectLog.Eval, _ facts: inout ReportFacts) {
        if let declared = eval.dataset?.samples, facts.counts.tests == 0, declared > 0 {
            facts.declaredMismatch = "the log declares \(declared) samples but holds \(facts.counts.tests); the samples present are counted"
        }
    }

    /// The case one sample is.
    static func outcome(_ sample: InspectLog.Sample, task: String?) -> CaseOutcome {
        let epoch = sample.epoch ?? 1
        let key = CaseOutcome.caseKey("\(task ?? "task")/\(sample.id?.text ?? "?")" + (epoch > 1 ? "#\(epoch)" : ""))
        let firstScore = sample.scores?.sorted { $0.key < $1.key }.first?.value
        let status: CaseOutcome.Status
        if sample.error != nil {
            status = .error
        } else if firstScore?.value?.text == "I" {
            status = .fail
        } else {
            status = .pass
        }
        var outcome = CaseOutcome(key: key, status: status)
        outcome.score = firstScore?.value.flatMap { $0.text.isEmpty ? nil : $0.text }
        outcome.message = CaseOutcome.bounded(sample.error?.message ?? (status == .fail ? firstScore?.explanation : nil))
        outcome.expected = CaseOutcome.Evidence(sample.target?.text)
        outcome.actual = CaseOutcome.Evidence(firstScore?.answer ?? sample.output?.completion)
        outcome.traceID = CaseOutcome.bounded(sample.metadata?["trace_id"] ?? sample.metadata?["traceId"], to: CaseOutcome.maximumPropertyLength)
        return outcome
    }
}

/// JSON with the non-finite number tokens Python writes (`NaN`, `Infinity`, `-Infinity`)
/// outside strings turned into `null`.
enum NonFiniteNumbers {
    /// `bytes` with those tokens as `null`; the bytes themselves (not copied) when there are none.
    static func nulled(_ bytes: [UInt8]) -> [UInt8] {
        guard let first = firstToken(in: bytes, from: 0) else { return bytes }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var copied = 0, next: (Int, Int)? = first
        while let (start, length) = next {
            out += bytes[copied..<start]
            out += Array("null".utf8)
            copied = start + length
            next = firstToken(in: bytes, from: copied)
        }
        out += bytes[copied...]
        return out
    }

    /// Where the next non-finite token outside a string starts, and its length.
    private static func firstToken(in bytes: [UInt8], from start: Int) -> (Int, Int)? {
        bytes.withUnsafeBufferPointer { buffer in
            var index = start, inString = false
            while index < buffer.count {
                let byte = buffer[index]
                if inString {
                    if byte == UInt8(ascii: "\\") { index += 2; continue }
                    if byte == UInt8(ascii: "\"") { inString = false }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: "N") || byte == UInt8(ascii: "I") || byte == UInt8(ascii: "-") {
                    for word in ["NaN", "Infinity", "-Infinity"] where matches(buffer, index, word) { return (index, word.utf8.count) }
                }
                index += 1
            }
            return nil
        }
    }

    private static func matches(_ buffer: UnsafeBufferPointer<UInt8>, _ at: Int, _ word: String) -> Bool {
        var index = at
        for byte in word.utf8 {
            guard index < buffer.count, buffer[index] == byte else { return false }
            index += 1
        }
        return true
    }
}

/// Decoding a JSON report's parts, with errors that name the file, the format and the part.
enum ReportJSON {
    /// `bytes` as a `T`, or an ``IngestError`` (`.malformed`): "`file`: not a valid `what`: `path`: why".
    static func decode<T: Decodable>(_: T.Type, _ bytes: [UInt8], file: String, what: String, at path: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch {
            throw IngestError(.malformed, "\(file): not a valid \(what): \(path): \(DecodingErrorText.describe(error))")
        }
    }
}

/// Scores from JSON reports, kept as text (the canonical form carries no fractions).
enum ReportDecimal {
    /// A score as short decimal text ("0.85", "1").
    static func text(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(value)
    }
}

// MARK: - The parts of the files remedy reads

/// The parts of a promptfoo result file remedy reads: each of `results.results`, decoded on
/// its own as the stream finds it.
enum PromptfooFile {
    struct Result: Decodable {
        var success: Bool?
        var failureReason: Int?
        var score: Double?
        var latencyMs: Double?
        var error: String?
        var testIdx: Int?
        var promptIdx: Int?
        var testCase: TestCase?
        var provider: Provider?
        var gradingResult: Grading?
        var response: Response?
    }
    /// Evidence only: a shape remedy does not know is left out, not an error.
    struct Response: Decodable {
        var output: Text?

        init(from decoder: Decoder) throws {
            output = try? decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Text.self, forKey: .output)
        }
        enum CodingKeys: String, CodingKey { case output }
    }
    struct TestCase: Decodable {
        var description: String?
        var metadata: [String: String]?

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            description = try? container.decodeIfPresent(String.self, forKey: .description)
            metadata = try? container.decodeIfPresent([String: String].self, forKey: .metadata)
        }
        enum CodingKeys: String, CodingKey { case description, metadata }
    }
    struct Provider: Decodable {
        var id: String?
        var label: String?
    }
    struct Grading: Decodable {
        var reason: String?
        var componentResults: [Component]?

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            reason = try container.decodeIfPresent(String.self, forKey: .reason)
            componentResults = try? container.decodeIfPresent([Component].self, forKey: .componentResults)
        }
        enum CodingKeys: String, CodingKey { case reason, componentResults }
    }
    struct Component: Decodable {
        var pass: Bool?
        var assertion: Assertion?
    }
    struct Assertion: Decodable {
        var type: String?
        var value: Text?
    }
}

struct InspectLog: Decodable {
    struct Eval: Decodable {
        var task: String?
        var dataset: Dataset?
    }
    struct Dataset: Decodable {
        var samples: Int?
    }
    struct Sample: Decodable {
        init() {}

        var id: Scalar?
        var epoch: Int?
        var scores: [String: Score]?
        var error: SampleError?
        var target: Text?
        var output: Output?
        var metadata: [String: String]?

        init(from decoder: Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decodeIfPresent(Scalar.self, forKey: .id)
            epoch = try container.decodeIfPresent(Int.self, forKey: .epoch)
            scores = try container.decodeIfPresent([String: Score].self, forKey: .scores)
            error = try container.decodeIfPresent(SampleError.self, forKey: .error)
            // Evidence only: a shape remedy does not know is left out, not an error.
            target = try? container.decodeIfPresent(Text.self, forKey: .target)
            output = try? container.decodeIfPresent(Output.self, forKey: .output)
            metadata = (try? container.decodeIfPresent([String: Scalar].self, forKey: .metadata))?.mapValues(\.text)
        }
        enum CodingKeys: String, CodingKey, CaseIterable { case id, epoch, scores, error, target, output, metadata }
        /// The members of a sample read.
        static let keys = Set(CodingKeys.allCases.map(\.rawValue))
    }
    struct Output: Decodable {
        var completion: String?
    }
    struct Score: Decodable {
        var value: Scalar?
        var explanation: String?
        var answer: String?
    }
    struct SampleError: Decodable {
        var message: String?
    }
    /// The log's header (`eval`); samples are read one at a time (``Sample``).
    var eval: Eval
}

/// A JSON string or number (sample ids and score values can be either).
struct Scalar: Decodable {
    var text: String

    init(text: String) {
        self.text = text
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            text = string
        } else if let integer = try? container.decode(Int.self) {
            text = String(integer)
        } else if let number = try? container.decode(Double.self) {
            text = ReportDecimal.text(number)
        } else if let flag = try? container.decode(Bool.self) {
            text = String(flag)
        } else {
            text = ""
        }
    }
}

/// Evidence text from JSON: a string, a list of strings (one a line), or any other value
/// as its JSON text.
struct Text: Decodable {
    var text: String

    init(text: String) {
        self.text = text
    }

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let string = try? container.decode(String.self) {
            text = string
        } else if let list = try? container.decode([String].self) {
            text = list.joined(separator: "\n")
        } else {
            text = (try? container.decode(Scalar.self))?.text ?? ""
        }
    }
}
