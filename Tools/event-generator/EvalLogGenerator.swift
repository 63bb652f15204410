#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib

/// A deterministic generator of large inspect_ai `.eval` logs (a ZIP of JSON, deflated as
/// inspect writes them), for ingest benchmarks.
///
/// Each sample carries what real samples carry: an input, a target, a chat transcript, the
/// model's output, a score with an explanation, metadata with a trace id, and events; the
/// words vary, so the members compress about as much as real logs do (4 to 5 times).
public struct EvalLogGenerator {
    private var random: SplitMix64
    private static let words = ["avalanche", "bulletin", "danger", "level", "slope", "aspect", "snowpack", "weak", "layer", "wind",
                                "slab", "forecast", "region", "elevation", "treeline", "north", "east", "persistent", "loading",
                                "cornice", "release", "trigger", "skier", "natural", "warming", "crust", "surface", "hoar",
                                "the", "a", "of", "in", "on", "and", "is", "with", "above", "below", "likely", "possible"]

    public init(seed: UInt64 = 20_261_202) {
        random = SplitMix64(seed: seed)
    }

    /// Writes a log of `samples` samples to `path`; returns its size in bytes.
    public mutating func write(samples: Int, to path: String) -> Int {
        guard let file = fopen(path, "w") else { return 0 }
        defer { fclose(file) }
        var offset = 0
        var directory: [UInt8] = []
        var count = 0
        func add(_ name: String, _ text: String) {
            let data = Array(text.utf8)
            let compressed = Self.deflate(data)
            let crc = data.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
            let nameBytes = Array(name.utf8)
            var local: [UInt8] = Self.le32(0x0403_4B50) + Self.le16(20) + Self.le16(0) + Self.le16(8) + Self.le16(0) + Self.le16(0x21)
            local += Self.le32(crc) + Self.le32(UInt32(compressed.count)) + Self.le32(UInt32(data.count))
            local += Self.le16(UInt16(nameBytes.count)) + Self.le16(0) + nameBytes
            fwrite(local, 1, local.count, file)
            fwrite(compressed, 1, compressed.count, file)
            directory += Self.le32(0x0201_4B50) + Self.le16(20) + Self.le16(20) + Self.le16(0) + Self.le16(8) + Self.le16(0) + Self.le16(0x21)
            directory += Self.le32(crc) + Self.le32(UInt32(compressed.count)) + Self.le32(UInt32(data.count))
            directory += Self.le16(UInt16(nameBytes.count)) + Self.le16(0) + Self.le16(0) + Self.le16(0) + Self.le16(0) + Self.le32(0)
            directory += Self.le32(UInt32(offset)) + nameBytes
            offset += local.count + compressed.count
            count += 1
        }
        add("_journal/start.json", #"{"version": 2, "eval": {"task": "bulletins", "model": "m-1"}}"#)
        for index in 1...max(samples, 1) { add("samples/\(index)_epoch_1.json", sample(index)) }
        add("header.json", #"{"version": 2, "status": "success", "eval": {"task": "bulletins", "model": "m-1", "dataset": {"name": "bulletins", "samples": \#(samples)}}, "plan": {}, "results": {"total_samples": \#(samples)}, "stats": {}}"#)
        let end = Self.le32(0x0605_4B50) + Self.le16(0) + Self.le16(0) + Self.le16(UInt16(min(count, 0xFFFF))) + Self.le16(UInt16(min(count, 0xFFFF)))
            + Self.le32(UInt32(directory.count)) + Self.le32(UInt32(offset)) + Self.le16(0)
        fwrite(directory, 1, directory.count, file)
        fwrite(end, 1, end.count, file)
        return offset + directory.count + end.count
    }

    private mutating func sentence(_ length: Int) -> String {
        (0..<length).map { _ in Self.words[Int(random.next() % UInt64(Self.words.count))] }.joined(separator: " ")
    }

    private mutating func sample(_ index: Int) -> String {
        let correct = random.next() % 10 < 8
        let input = sentence(40), target = sentence(12), answer = correct ? target : sentence(12)
        var events: [String] = []
        for step in 0..<6 {
            events.append(#"{"timestamp": "2026-12-02T09:00:0\#(step).\#(random.next() % 1000)Z", "event": "model", "model": "m-1", "input": "\#(sentence(30))", "output": {"completion": "\#(sentence(25))", "usage": {"input_tokens": \#(random.next() % 4000), "output_tokens": \#(random.next() % 800)}}}"#)
        }
        return #"{"id": \#(index), "epoch": 1, "input": "\#(input)", "target": "\#(target)", "#
            + #""messages": [{"role": "system", "content": "You are an avalanche forecaster."}, {"role": "user", "content": "\#(input)"}, {"role": "assistant", "content": "\#(answer)"}], "#
            + #""output": {"model": "m-1", "completion": "\#(answer)", "stop_reason": "stop"}, "#
            + #""scores": {"model_graded_fact": {"value": "\#(correct ? "C" : "I")", "answer": "\#(answer)", "explanation": "\#(sentence(20))"}}, "#
            + #""metadata": {"trace_id": "tr-\#(String(random.next(), radix: 16))", "region": "CH-\#(index % 9)"}, "events": [\#(events.joined(separator: ", "))]}"#
    }

    private static func deflate(_ data: [UInt8]) -> [UInt8] {
        var stream = z_stream()
        _ = remedy_deflate_init_raw(&stream, 6)
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(data.count))))
        let produced = data.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
                stream.avail_in = uInt(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = uInt(target.count)
                _ = CZlib.deflate(&stream, Z_FINISH)
                return target.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(produced))
    }

    private static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    private static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }
}
