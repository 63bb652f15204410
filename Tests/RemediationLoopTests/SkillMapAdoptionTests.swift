import Foundation
import Testing
import Events
@_spi(Testing) import LedgerStore
import Projections
@testable import RemediationLoop
@testable import ReadViews
import PostgresStore

/// Adopting a skill map re-attributes history: health and the queue count every case the map
/// matches under the map's skill, in the runs before the adoption as after it.
@Suite struct SkillMapAdoptionTests {
    let folder: String
    let ledger: any EventStore
    let steps: LoopSteps

    init() throws {
        try self.init(postgres: nil)
    }

    init(postgres location: PostgresLocation?) throws {
        folder = NSTemporaryDirectory() + "remedy-skills-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        ledger = try location.map { try PostgresLedger.open($0, create: .ifMissing()) }
            ?? Ledger.open(LedgerPath(path: folder + "/ledger.db"), mode: .readWrite, create: .ifMissing(),
                           configuration: LedgerConfiguration(snapshotInterval: 8))
        steps = LoopSteps(ledger: ledger)
    }

    static let oldMap = "forecast.*  forecasting\n"
    static let newMap = "# the bulletins have a skill of their own now\nforecast.*  forecasting\nforecast.bulletins::*  date-normalizer\n"

    /// Ingests a run: `forecast.bulletins::dates` failing or passing, two other cases passing.
    @discardableResult
    func ingest(run: String, failing: Bool, map: String?) throws -> IngestSummary {
        let path = folder + "/run-\(run).xml"
        try """
            <testsuite name="golden">
            <testcase classname="forecast.bulletins" name="dates">\(failing ? "<failure message=\"wrong date\"/>" : "")</testcase>
            <testcase classname="forecast.maps" name="tiles"/>
            <testcase classname="alerts.danger" name="level-5"/>
            </testsuite>
            """.write(toFile: path, atomically: true, encoding: .utf8)
        var request = IngestRequest(files: [path], suite: "golden", run: run)
        request.skills = try map.map { try SkillMap(text: $0) }
        return try RunIngester.ingest(request, into: ledger)
    }

    func health() throws -> [String: SkillHealthRow] {
        Dictionary(uniqueKeysWithValues: try ReadModelView(ledger: ledger).rows(SkillHealthRow.self).map { ($0.skill, $0) })
    }

    @Test func adoptingAMapReattributesHistory() throws {
        try ingest(run: "1", failing: false, map: Self.oldMap)
        try ingest(run: "2", failing: true, map: Self.oldMap)
        let beforeAdoption = try ledger.treeHead().size
        try ingest(run: "3", failing: true, map: Self.newMap)
        // Two maps at ingest: the bulletin case counts under two skills.
        var rows = try health()
        #expect(rows["forecasting"]?.runs == 3)
        #expect(rows["date-normalizer"]?.runs == 1)
        #expect(rows["forecasting"]?.failures == 1, "the failure was detected under the old map")
        #expect(try ReadModelView(ledger: ledger).rows(QueueItemRow.self).map(\.skill) == ["forecasting"])

        let adopted = try #require(try steps.adoptSkillMap(text: Self.newMap, name: "skills", by: "dana"))
        #expect(adopted.rules.count == 2)
        #expect(try SkillMap.adopted(in: ledger) == adopted)
        rows = try health()
        // Every run of the bulletin case now counts under date-normalizer, and only there.
        #expect(rows["date-normalizer"]?.runs == 3)
        #expect(rows["date-normalizer"]?.recent.map(\.description) == ["1/1", "0/1", "0/1"])
        #expect(rows["date-normalizer"]?.failures == 1)
        #expect(rows["date-normalizer"]?.openFailures == 1)
        #expect(rows["forecasting"]?.recent.map(\.description) == ["1/1", "1/1", "1/1"])
        #expect(rows["forecasting"]?.failures == 0)
        #expect(rows["unmapped"]?.runs == 3, "alerts.* matches no rule of either map")
        #expect(try ReadModelView(ledger: ledger).rows(QueueItemRow.self).map(\.skill) == ["date-normalizer"])

        // The same tables from a rebuild and from a fold in memory.
        let live = try ReadModels.all.map { projection in try projection.tables.map { try ledger.rows(of: $0) } }
        let memory = try ledger.projectInMemory(ReadModels.all, through: nil, logs: true)
        try ledger.rebuild(ReadModels.all)
        for (index, projection) in ReadModels.all.enumerated() {
            let rebuilt = try projection.tables.map { try ledger.rows(of: $0) }
            #expect(rebuilt == live[index], "\(projection.name)")
            #expect(projection.tables.map { memory[index].rows($0.name) } == rebuilt, "\(projection.name)")
        }

        // Time travel to before the adoption shows the attribution of that time.
        let past = try ReadModelView(ledger: ledger, asOf: beforeAdoption).rows(SkillHealthRow.self)
        #expect(past.map(\.skill) == ["forecasting", "unmapped"])
        #expect(past.first?.failures == 1)

        // Runs after the adoption count by it too, whatever map their ingest used.
        try ingest(run: "4", failing: false, map: Self.oldMap)
        rows = try health()
        #expect(rows["date-normalizer"]?.runs == 4)
        #expect(rows["forecasting"]?.cases == 1)
    }

    @Test func adoptingTheMapInForceRecordsNothing() throws {
        try ingest(run: "1", failing: true, map: nil)
        #expect(try steps.adoptSkillMap(text: Self.newMap, name: "skills", by: "dana") != nil)
        let size = try ledger.treeHead().size
        #expect(try steps.adoptSkillMap(text: Self.newMap, name: "skills", by: "ci") == nil)
        #expect(try ledger.treeHead().size == size)
        // Another map is another adoption; the last one is in force.
        #expect(try steps.adoptSkillMap(text: Self.oldMap, name: "skills", by: "dana") != nil)
        #expect(try SkillMap.adopted(in: ledger)?.text == Self.oldMap)
        #expect(try health().keys.sorted() == ["forecasting", "unmapped"])
        // Ingest without a map of its own attributes by the adopted one.
        #expect(try SkillMap.forIngest(path: nil, store: ledger) == SkillMap(text: Self.oldMap))
    }

    @Test func badAndForgedMapsAreRefusedWithNothingWritten() throws {
        try ingest(run: "1", failing: true, map: nil)
        let size = try ledger.treeHead().size
        #expect(throws: EventError.self) { try steps.adoptSkillMap(text: "forecast.* forecasting extra\n", name: "skills", by: "dana") }
        #expect(throws: LoopError.self) { try steps.adoptSkillMap(text: "# only a comment\n", name: "skills", by: "dana") }
        // Appended by hand: rules that are not the text's, a hash that is not the text's, another stream.
        let honest = try SkillMapAdopted(text: Self.newMap, name: "skills", by: "dana")
        var otherRules = honest
        otherRules.rules = [SkillMap.Rule(pattern: "*", skill: "everything")]
        var otherHash = honest
        otherHash.mapSHA256 = String(repeating: "0", count: 64)
        for (payload, stream) in [(otherRules, "skills-map"), (otherHash, "skills-map"), (honest, "skills-other")] {
            #expect(throws: (any Error).self) {
                try steps.append(try ProposedEvent(stream: StreamName(stream), type: EventType("SkillMapAdopted"), json: try LoopPayload.encode(payload)))
            }
        }
        #expect(try ledger.treeHead().size == size)
        #expect(try SkillMap.adopted(in: ledger) == nil)
    }

    /// The same re-attribution on a PostgreSQL ledger.
    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func adoptingAMapReattributesHistoryOnPostgres() throws {
        try SkillMapAdoptionTests(postgres: try PostgresTestServer.freshLocation()).adoptingAMapReattributesHistoryOnBothStores()
    }

    /// What the PostgreSQL test checks (its store has no snapshots nor `rebuild` of all at once).
    func adoptingAMapReattributesHistoryOnBothStores() throws {
        try ingest(run: "1", failing: false, map: Self.oldMap)
        try ingest(run: "2", failing: true, map: Self.oldMap)
        let beforeAdoption = try ledger.treeHead().size
        _ = try health()
        try steps.adoptSkillMap(text: Self.newMap, name: "skills", by: "dana")
        let rows = try health()
        #expect(rows["date-normalizer"]?.runs == 2)
        #expect(rows["forecasting"]?.failures == 0)
        #expect(try ReadModelView(ledger: ledger).rows(QueueItemRow.self).map(\.skill) == ["date-normalizer"])
        let past = try ReadModelView(ledger: ledger, asOf: beforeAdoption).rows(SkillHealthRow.self)
        #expect(past.map(\.skill) == ["forecasting", "unmapped"])
        let memory = try ledger.projectInMemory([SkillHealthProjection.self], through: nil, logs: true)[0]
        #expect(try SkillHealthProjection.tables.map { memory.rows($0.name) } == SkillHealthProjection.tables.map { try ledger.rows(of: $0) })
    }
}
