import Foundation
import Testing
import Events
import Ingest
import LedgerStore
@testable import RemediationLoop

/// Every supported fixture ingests end to end, each as its own run, with the counts
/// `expected.json` gives; the run's start records where its reports came from.
@Suite struct FixtureIngestTests {
    static let reports = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("IngestTests/Fixtures/reports")

    @Test func everyFixtureIngestsWithItsCounts() throws {
        let folder = NSTemporaryDirectory() + "remedy-fixtures-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ledger = try Ledger.open(LedgerPath(path: folder + "/ledger.db"), mode: .readWrite, create: .ifMissing())
        let rows = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.reports.appendingPathComponent("expected.json"))) as! [String: [String: Any]]
        var ingested = 0
        for (file, row) in rows.sorted(by: { $0.key < $1.key }) where ["junit", "promptfoo", "inspect_json"].contains(row["format"] as! String) {
            var request = IngestRequest(files: [Self.reports.appendingPathComponent(file).path], suite: "fixtures", run: file)
            request.commit = "4f2c9e1"
            request.dirty = true
            request.trigger = "push"
            let summary = try RunIngester.ingest(request, into: ledger)
            #expect(summary.counts.tests == row["tests"] as? Int, "\(file)")
            #expect(summary.counts.failures == row["failures"] as? Int, "\(file)")
            #expect(summary.counts.errors == row["errors"] as? Int, "\(file)")
            #expect(summary.counts.skipped == row["skipped"] as? Int, "\(file)")
            ingested += 1
        }
        #expect(ingested == 28)
        var query = EventQuery()
        query.types = ["EvalRunStarted"]
        let starts = try ledger.events(query).map { try LoopPayload.decode(EvalRunStarted.self, from: EventEnvelope(decoding: $0.body).data) }
        #expect(starts.count == 28)
        #expect(starts.allSatisfy { $0.reports.first?.sha256.count == 64 && $0.dirty == true && $0.trigger == "push" && $0.commit == "4f2c9e1" })
        #expect(starts.first { $0.format == "promptfoo" }?.producer == "promptfoo")
        #expect(starts.first { $0.format == "junit" }?.kind == .test)
        #expect(starts.first { $0.format == "inspect" }?.kind == .eval)
        #expect(try ledger.verify().isValid)
    }
}
