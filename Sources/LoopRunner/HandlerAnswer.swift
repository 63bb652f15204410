#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Events
import RemediationLoop

/// What a handler answered on standard output: one JSON object, the step's answer or
/// `{"decline": "reason"}`.
///
/// ```json
/// {"lever": "skill", "target": "date-normalizer", "confidence": 0.8, "evidence": ["..."]}
/// ```
package enum HandlerAnswer {
    case answer(LoopSteps.StepAnswer)
    case decline(String)

    /// Why an answer was not the contract's, in one line.
    struct Malformed: Error {
        var message: String
    }

    /// Reads `output` as the answer of a `step` handler for `item`.
    ///
    /// - Throws: ``Malformed`` naming what is wrong.
    package static func parse(_ output: [UInt8], step: HandlerStep, item: String, skills: SkillMap?) throws -> HandlerAnswer {
        let text = String(String(decoding: output, as: UTF8.self).drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
        guard text.hasPrefix("{") else {
            throw Malformed(message: text.isEmpty ? "the handler printed nothing; the contract asks for one JSON object"
                                                  : "the handler's output is not a JSON object: \(excerpt(text))")
        }
        do {
            let decoder = JSONDecoder()
            if let decline = try? decoder.decode(Decline.self, from: Data(text.utf8)) { return .decline(decline.decline) }
            switch step {
            case .diagnose:
                let answer = try decoder.decode(DiagnoseAnswer.self, from: Data(text.utf8))
                return .answer(.diagnosis(lever: answer.lever, target: answer.target, confidence: answer.confidence?.text,
                                          evidence: answer.evidence ?? []))
            case .propose:
                let answer = try decoder.decode(ProposeAnswer.self, from: Data(text.utf8))
                return .answer(.proposal(fix: answer.fix, change: answer.change, target: answer.targets?.first,
                                         blastRadius: answer.blastRadius, reversible: answer.reversible ?? true))
            case .verify:
                let answer = try decoder.decode(VerifyAnswer.self, from: Data(text.utf8))
                guard !answer.reports.isEmpty else { throw Malformed(message: "\"reports\" names no report file") }
                return .answer(.verification(reports: answer.reports, skills: skills))
            case .merge:
                let answer = try decoder.decode(MergeAnswer.self, from: Data(text.utf8))
                return .answer(.merge(commit: answer.commit))
            case .review:
                let answer = try decoder.decode(ReviewAnswer.self, from: Data(text.utf8))
                return .answer(.reviewRequested(link: answer.url))
            }
        } catch let error as Malformed {
            throw error
        } catch {
            throw Malformed(message: "the \(step) handler's answer for \(item) is not the contract's: \(DecodingErrorText.describe(error))")
        }
    }

    private static func excerpt(_ text: String) -> String {
        let line = text.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init) ?? ""
        return line.count > 120 ? String(line.prefix(120)) + "..." : line
    }

    private struct Decline: Decodable { var decline: String }

    private struct DiagnoseAnswer: Decodable {
        var lever: Lever
        var target: String
        var confidence: Decimal?
        var evidence: [String]?
    }

    private struct ProposeAnswer: Decodable {
        var fix: String
        var change: String
        var targets: [String]?
        var blastRadius: BlastRadius
        var reversible: Bool?

        enum CodingKeys: String, CodingKey { case fix, change, targets, blastRadius = "blast_radius", reversible }
    }

    private struct VerifyAnswer: Decodable { var reports: [String] }
    private struct MergeAnswer: Decodable { var commit: String }
    private struct ReviewAnswer: Decodable { var url: String? }

    /// A confidence as a handler writes it (`0.8` or `"0.8"`), kept as the decimal text the
    /// ledger stores.
    private struct Decimal: Decodable {
        var text: String

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self.text = text
            } else {
                let number = try container.decode(Double.self)
                guard number.isFinite, number >= 0, number <= 1 else {
                    throw DecodingError.dataCorruptedError(in: container, debugDescription: "a confidence is between 0 and 1")
                }
                // At most three decimals, without trailing zeros: 0.8 stays "0.8".
                var text = String(Int((number * 1000).rounded()))
                while text.count < 4 { text = "0" + text }
                text.insert(".", at: text.index(text.endIndex, offsetBy: -3))
                while text.hasSuffix("0") { text.removeLast() }
                if text.hasSuffix(".") { text.removeLast() }
                self.text = text
            }
        }
    }
}

/// Shell-style globs (`alerts.*`) over names.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        fnmatch(pattern, text, 0) == 0
    }
}

/// A config's text with `{name}` placeholders filled in.
enum Template {
    static func fill(_ template: String, _ values: [String: String]) -> String {
        var result = ""
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}"), let value = values[String(rest[rest.index(after: open)..<close])] else {
                result.append("{")
                rest = rest[rest.index(after: open)...]
                continue
            }
            result += value
            rest = rest[rest.index(after: close)...]
        }
        return result + rest
    }
}
