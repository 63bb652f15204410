/// The members of an inspect_ai sample a case needs, read straight from its bytes with
/// ``JSONSkimmer``: the hot path of a `.eval` ingest, where decoding each sample through
/// `JSONDecoder` cost a fifth of the time. Anything it does not expect (a shape, an escape it
/// cannot read) makes it return nil, and the caller decodes the sample the ordinary way, so
/// both give the same sample (a test holds the `.eval` and the JSON form of one log to that).
enum InspectSampleFields {
    static func sample(_ bytes: [UInt8]) -> InspectLog.Sample? {
        bytes.withUnsafeBufferPointer { buffer -> InspectLog.Sample? in
            guard let members = JSONSkimmer.members(of: buffer) else { return nil }
            var sample = InspectLog.Sample()
            for member in members {
                let value = UnsafeBufferPointer(rebasing: buffer[member.value])
                switch member.key {
                case "id":
                    guard let id = scalar(value) else { return nil }
                    sample.id = id.map(Scalar.init(text:))
                case "epoch":
                    if isNull(value) { continue }
                    guard let text = scalar(value) ?? nil, let epoch = Int(text) else { return nil }
                    sample.epoch = epoch
                case "scores":
                    if isNull(value) { continue }
                    guard let scorers = JSONSkimmer.members(of: value) else { return nil }
                    var scores: [String: InspectLog.Score] = [:]
                    for scorer in scorers {
                        let body = UnsafeBufferPointer(rebasing: value[scorer.value])
                        guard let fields = JSONSkimmer.members(of: body) else { return nil }
                        var score = InspectLog.Score()
                        for field in fields {
                            let part = UnsafeBufferPointer(rebasing: body[field.value])
                            switch field.key {
                            case "value":
                                // A list or an object of values is no single score: let the decoder say.
                                guard let text = scalar(part) else { return nil }
                                score.value = text.map(Scalar.init(text:))
                            case "explanation": guard let text = string(part) else { return nil }; score.explanation = text
                            case "answer": guard let text = string(part) else { return nil }; score.answer = text
                            default: break
                            }
                        }
                        scores[scorer.key] = score
                    }
                    sample.scores = scores
                case "error":
                    if isNull(value) { continue }
                    guard let fields = JSONSkimmer.members(of: value) else { return nil }
                    var error = InspectLog.SampleError()
                    for field in fields where field.key == "message" {
                        guard let text = string(UnsafeBufferPointer(rebasing: value[field.value])) else { return nil }
                        error.message = text
                    }
                    sample.error = error
                case "target":
                    if isNull(value) { continue }
                    if let text = string(value) ?? nil {
                        sample.target = Text(text: text)
                    } else {
                        return nil
                    }
                case "output":
                    if isNull(value) { continue }
                    guard let fields = JSONSkimmer.members(of: value) else { return nil }
                    var output = InspectLog.Output()
                    for field in fields where field.key == "completion" {
                        guard let text = string(UnsafeBufferPointer(rebasing: value[field.value])) else { return nil }
                        output.completion = text
                    }
                    sample.output = output
                case "metadata":
                    if isNull(value) { continue }
                    guard let fields = JSONSkimmer.members(of: value) else { return nil }
                    var metadata: [String: String] = [:]
                    for field in fields where field.key == "trace_id" || field.key == "traceId" {
                        guard let text = scalar(UnsafeBufferPointer(rebasing: value[field.value])) else { return nil }
                        metadata[field.key] = text ?? ""
                    }
                    // Other metadata values do not matter here, but the decoder keeps only scalars.
                    sample.metadata = metadata
                default:
                    break
                }
            }
            return sample
        }
    }

    private static func isNull(_ value: UnsafeBufferPointer<UInt8>) -> Bool {
        value.count == 4 && value.elementsEqual("null".utf8)
    }

    /// A string value, nil inside for JSON null; nil for anything else or an escape it cannot read.
    static func string(_ value: UnsafeBufferPointer<UInt8>) -> String?? {
        if isNull(value) { return .some(nil) }
        guard value.count >= 2, value.first == UInt8(ascii: "\""), value.last == UInt8(ascii: "\"") else { return nil }
        let body = UnsafeBufferPointer(rebasing: value[1..<(value.count - 1)])
        guard body.contains(UInt8(ascii: "\\")) else { return String(decoding: body, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(body.count)
        var index = 0
        while index < body.count {
            let byte = body[index]
            guard byte == UInt8(ascii: "\\") else { out.append(byte); index += 1; continue }
            guard index + 1 < body.count else { return nil }
            let escape = body[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard var unit = hex4(body, index) else { return nil }
                index += 4
                if (0xD800...0xDBFF).contains(unit) {
                    guard index + 6 <= body.count, body[index] == UInt8(ascii: "\\"), body[index + 1] == UInt8(ascii: "u"),
                          let low = hex4(body, index + 2), (0xDC00...0xDFFF).contains(low) else { return nil }
                    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                } else if (0xDC00...0xDFFF).contains(unit) {
                    return nil
                }
                guard let scalar = Unicode.Scalar(unit) else { return nil }
                out += Array(String(Character(scalar)).utf8)
            default:
                return nil
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A scalar's text as ``Scalar`` reads it (strings as they are, integers, short decimals,
    /// booleans); nil inside for JSON null; nil for a list, an object or an unreadable value.
    static func scalar(_ value: UnsafeBufferPointer<UInt8>) -> String?? {
        guard let first = value.first else { return nil }
        if first == UInt8(ascii: "\"") { return string(value) }
        if isNull(value) { return .some(nil) }
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") { return nil }
        let text = String(decoding: value, as: UTF8.self)
        if text == "true" || text == "false" { return text }
        if let integer = Int(text) { return String(integer) }
        if let number = Double(text), number.isFinite { return ReportDecimal.text(number) }
        return nil
    }

    private static func hex4(_ body: UnsafeBufferPointer<UInt8>, _ at: Int) -> UInt32? {
        guard at + 4 <= body.count else { return nil }
        return UInt32(String(decoding: UnsafeBufferPointer(rebasing: body[at..<(at + 4)]), as: UTF8.self), radix: 16)
    }
}
