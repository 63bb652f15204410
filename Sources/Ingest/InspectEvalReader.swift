#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SystemIO

/// inspect_ai's `.eval` log: a ZIP of JSON (`header.json`, `samples/<id>_epoch_<n>.json`,
/// `summaries.json`, `reductions.json`, `_journal/`), read in place with zlib, one sample
/// member at a time, so memory follows the largest sample, not the file.
///
/// Its cases are the JSON form's (``InspectReportParser``): the same keys and statuses from
/// the same samples, in id order within each epoch.
struct InspectEvalReader {
    let name: String

    /// Threads inflating sample members, each taking every second one.
    static let inflatingLanes = 2

    func parse(descriptor: Int32, _ sink: (CaseOutcome) throws -> Void) throws -> ReportFacts {
        let archive = try ZipArchive(descriptor: descriptor, name: name)
        guard let headerMember = archive.members.first(where: { $0.name == "header.json" }) else {
            throw IngestError(.notAReport, "\(name): a ZIP archive without header.json: not an inspect_ai .eval log")
        }
        let header = try InspectReportParser.decode(InspectLog.self, from: Data(try archive.contents(of: headerMember)),
                                                     name: "\(name): header.json", what: "inspect_ai log header")
        var facts = ReportFacts(format: .inspect)
        facts.producer = "inspect_ai"
        var seen = SeenKeys()
        let samples = archive.members.compactMap { member in Self.sampleName(member.name).map { (member, $0) } }
            .sorted { ($0.1.epoch, $0.1.id) < ($1.1.epoch, $1.1.id) }
        // Members inflate on two more threads, alternately, while this one reads them in order:
        // inflating is half the work, and one inflating thread left the second core idle a
        // quarter of the time. About 1 MiB of inflated samples waits in each lane at most.
        let members = samples.map(\.0)
        let laneCount = Self.inflatingLanes
        let lanes = (0..<laneCount).map { lane in
            Handoff<[UInt8]>(chunkSize: 8, chunkWeight: 256 << 10, maximumQueuedWeight: 1 << 20, weight: { $0.count }) { emit in
                for index in stride(from: lane, to: members.count, by: laneCount) {
                    guard emit(try archive.contents(of: members[index])) else { return }
                }
            }
        }
        lanes.forEach { $0.start() }
        defer { lanes.forEach { $0.stop() } }
        for (index, member) in members.enumerated() {
            // A lane ends early only by throwing (which `next()` passes on at that member).
            guard let bytes = try lanes[index % laneCount].next() else {
                throw IngestError(.unreadable, "\(name): \(member.name): the member could not be read")
            }
            // A sample is mostly its transcript and events, which no case needs: skimmed past,
            // and the members it needs read straight from the bytes, or else decoded.
            let sample = try InspectSampleFields.sample(bytes) ?? InspectReportParser.decode(
                InspectLog.Sample.self, from: Data(JSONSkimmer.object(of: bytes, keeping: InspectLog.Sample.keys)),
                name: "\(name): \(member.name)", what: "inspect_ai sample")
            let outcome = InspectReportParser.outcome(sample, task: header.eval.task)
            try facts.counts.count(outcome, seen: &seen)
            try sink(outcome)
        }
        InspectReportParser.checkDeclared(header.eval, &facts)
        facts.counts.duplicates += try seen.duplicates()
        return facts
    }

    /// The sort key of a sample member (`samples/<id>_epoch_<n>.json`): its epoch, then its id
    /// (numbers in numeric order before names); nil for any other member.
    ///
    /// Read as bytes: a log lists one member a sample, and `ranges(of:)` on a String took most
    /// of the time before the first sample was read (0.13 s for 36,700 members).
    static func sampleName(_ path: String) -> (epoch: Int, id: SampleID)? {
        let bytes = Array(path.utf8)
        let prefix = Array("samples/".utf8), suffix = Array(".json".utf8), marker = Array("_epoch_".utf8)
        guard bytes.count >= prefix.count + suffix.count, bytes.starts(with: prefix), bytes.suffix(suffix.count).elementsEqual(suffix) else { return nil }
        let base = bytes[prefix.count..<(bytes.count - suffix.count)]
        guard !base.contains(UInt8(ascii: "/")) else { return nil }
        // The last "_epoch_": an id may hold the marker itself.
        var start = base.endIndex - marker.count
        while start >= base.startIndex && !base[start..<(start + marker.count)].elementsEqual(marker) { start -= 1 }
        guard start >= base.startIndex, let epoch = Int(String(decoding: base[(start + marker.count)...], as: UTF8.self)) else { return nil }
        let id = String(decoding: base[..<start], as: UTF8.self)
        return (epoch, Int(id).map { .number($0) } ?? .name(id))
    }

    enum SampleID: Comparable {
        case number(Int)
        case name(String)
    }
}
