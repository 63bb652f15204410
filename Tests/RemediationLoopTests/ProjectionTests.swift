import Foundation
import Synchronization
import Testing
import EventGenerator
import Events
@_spi(Testing) import LedgerStore
import Projections
@testable import RemediationLoop
@testable import ReadViews
import DemoStory
import PostgresStore

/// The projection engine: incremental catch-up, rebuilds and in-memory folds give the same rows.
@Suite struct ProjectionTests {
    let folder: String
    let ledger: any EventStore
    let steps: LoopSteps

    init() throws {
        let folder = NSTemporaryDirectory() + "remedy-projections-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try self.init(folder: folder)
    }

    init(folder: String) throws {
        self.folder = folder
        // A tiny write batch: folds write out and empty their row cache many times per history;
        // snapshots of the read models every 16 events, so time travel starts from them; every
        // catch-up and rebuild of several projections in two lanes, as long ones are.
        ledger = try Ledger.open(LedgerPath(path: folder + "/ledger.db"), mode: .readWrite, create: .ifMissing(),
                                 configuration: LedgerConfiguration(readModelWriteBatch: 3, snapshotInterval: 16, twoLaneFoldMinimum: 0))
        steps = LoopSteps(ledger: ledger)
    }

    /// The same tests on a PostgreSQL ledger (a new schema).
    init(postgres location: PostgresLocation) throws {
        folder = NSTemporaryDirectory() + "remedy-projections-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        ledger = try PostgresLedger.open(location, create: .ifMissing())
        steps = LoopSteps(ledger: ledger)
    }

    /// The SQLite ledger, for what only it has (snapshots, its own SQL).
    var file: Ledger {
        get throws { try #require(ledger as? Ledger) }
    }

    /// Appends one loop event as a hand-written history would.
    func append<T: Encodable>(_ stream: String, _ type: LoopEventType, _ payload: T) throws {
        try ledger.append(try ProposedEvent(stream: StreamName(stream), type: EventType(type.rawValue), json: try LoopPayload.encode(payload)))
    }

    static let cases = (1...6).map { "area\($0 % 2)::case-\($0)" }

    /// A random skill map: each area's cases to one of three skills, one case to another.
    static func randomSkillMap(_ random: inout SplitMix64) -> String {
        let skills = ["alpha", "beta", "gamma"]
        return "area0::*  \(skills[Int(random.next() % 3)])\narea1::*  \(skills[Int(random.next() % 3)])\n"
            + "area1::case-\(1 + 2 * (random.next() % 3))  \(skills[Int(random.next() % 3)])\n"
    }

    /// A random history of the loop: runs with random outcomes (their cases' skills from
    /// random skill maps), fixes proposed, approved and merged, guards retired, cases renamed,
    /// skill maps adopted, with the guards caught up after every step.
    func playRandomHistory(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        var names = Self.cases
        for step in 0..<14 {
            let state = try LoopState.fold(ledger)
            switch random.next() % 7 {
            case 6:
                try steps.adoptSkillMap(text: Self.randomSkillMap(&random), name: "map-\(step)", by: "dana")
            case 0, 1, 2:
                let cases = names.map { key -> String in
                    let (classname, name) = (key.components(separatedBy: "::")[0], key.components(separatedBy: "::")[1])
                    let fails = random.next() % 10 < 3
                    return #"<testcase classname="\#(classname)" name="\#(name)">\#(fails ? "<failure message=\"no\"/>" : "")</testcase>"#
                }
                let path = folder + "/run-\(seed)-\(step).xml"
                try ("<testsuite name=\"s\">" + cases.joined() + "</testsuite>").write(toFile: path, atomically: true, encoding: .utf8)
                var request = IngestRequest(files: [path], suite: "s", run: "\(step)")
                if random.next() % 3 != 0 { request.skills = try SkillMap(text: Self.randomSkillMap(&random)) }
                _ = try RunIngester.ingest(request, into: ledger)
            case 3:
                guard let failure = state.failures.values.filter({ $0.isOpen && $0.fixes.isEmpty }).sorted(by: { $0.id < $1.id }).first else { continue }
                let fix = "fix-\(step)"
                try steps.propose(failures: [failure.id], fix: fix, change: "c", blastRadius: .low, lever: .code, by: "agent:f")
                try steps.review(fix: fix, approve: true, by: "dana")
                try steps.merged(fix: fix, commit: "abc\(step)")
            case 4:
                guard let guarded = state.guards.values.filter(\.isActive).sorted(by: { $0.suiteCase < $1.suiteCase }).first else { continue }
                try steps.retireGuard(suite: "s", case: guarded.suiteCase.key, reason: "r\(step)", by: "dana")
            default:
                let index = Int(random.next() % UInt64(names.count))
                guard state.cases[SuiteCase(suite: "s", key: names[index])] != nil else { continue }
                let renamed = names[index] + "-v\(step)"
                try steps.alias(suite: "s", from: names[index], to: renamed, by: "dana")
                names[index] = renamed
            }
            // Decisions load the loop's state from its working set and the case history: it
            // must equal the state folded from every event.
            let (loaded, folded) = try ledger.loadedAndFolded()
            #expect(loaded == folded, "step \(step)")
            if step % 2 == 0 {
                try ledger.catchUp(ReadModels.maintained)
            } else {
                for projection in ReadModels.maintained { try ledger.catchUp(projection) }
            }
        }
    }

    @Test(arguments: 0..<24)
    func rebuildEqualsIncrementalEqualsMemory(seed: Int) throws {
        try playRandomHistory(seed: UInt64(seed))
        let incremental = try ReadModels.maintained.map { try $0.tables.map { try ledger.rows(of: $0) } }
        let memories = try ledger.projectInMemory(ReadModels.maintained)
        #expect(try ledger.rebuild(ReadModels.maintained).allSatisfy(\.rebuilt))
        for (index, projection) in ReadModels.maintained.enumerated() {
            let rebuilt = try projection.tables.map { try ledger.rows(of: $0) }
            #expect(incremental[index] == rebuilt, "\(projection.name)")
            #expect(projection.tables.map { memories[index].rows($0.name) } == rebuilt, "\(projection.name)")
            // One projection rebuilt alone gives the same rows as all rebuilt together.
            try ledger.rebuild(projection)
            #expect(try projection.tables.map { try ledger.rows(of: $0) } == rebuilt, "\(projection.name)")
        }
        let rebuilt = try ledger.rows(GuardRow.self)
        // The projection agrees with the loop's own state on who guards what.
        let state = try LoopState.fold(ledger)
        let views = state.guards.values.sorted { $0.suiteCase < $1.suiteCase }.map { guarded -> [String] in
            let slipped = state.openFailureByCase[guarded.suiteCase].flatMap { state.failures[$0] }.map { $0.detected.kind == .regression } ?? false
            return [guarded.suiteCase.suite, guarded.suiteCase.key, guarded.retired != nil ? "retired" : slipped ? "slipped" : "holding"]
        }
        #expect(rebuilt.map { [$0.suite, $0.caseKey, $0.state.rawValue] } == views)
    }

    /// The same property on a PostgreSQL ledger: its catch-ups, rebuilds and in-memory folds
    /// agree, and the loop's loaded state is the fold of every event at every step.
    @Test(.enabled(if: PostgresTestServer.isAvailable), arguments: 0..<4)
    func rebuildEqualsIncrementalEqualsMemoryOnPostgres(seed: Int) throws {
        try ProjectionTests(postgres: try PostgresTestServer.freshLocation()).rebuildEqualsIncrementalEqualsMemory(seed: seed)
    }

    /// Time travel from the nearest snapshot gives the tables a fold from the first event gives,
    /// at every position; snapshots of an old version are dropped when the version changes.
    @Test(arguments: 0..<6)
    func snapshotsGiveWhatAFoldFromTheStartGives(seed: Int) throws {
        try playRandomHistory(seed: UInt64(seed) + 100)
        try ledger.catchUp(ReadModels.all)
        let end = try ledger.status().eventCount
        let snapshots = try #require(try file.scalar("SELECT count(*) FROM projection_snapshots"))
        #expect(snapshots >= (end / 16) * ReadModels.all.count, "every read model has a snapshot every 16 events")
        let fromTheStart = try Ledger.open(LedgerPath(path: folder + "/ledger.db"), mode: .readOnly,
                                           configuration: LedgerConfiguration(snapshotInterval: 0))
        for position in Array(stride(from: 1, through: end, by: 7)) + [16, 17, 32, end] {
            let restored = try ledger.projectInMemory(ReadModels.all, through: position)
            let folded = try fromTheStart.projectInMemory(ReadModels.all, through: position)
            // What `--as-of` reads: the logs from the live tables, the rest from the snapshot on.
            let view = ReadModelView(ledger: ledger, asOf: position)
            for (index, projection) in ReadModels.all.enumerated() {
                #expect(projection.tables.map { restored[index].rows($0.name) } == projection.tables.map { folded[index].rows($0.name) },
                        "\(projection.name) at \(position)")
                #expect(try projection.tables.map { try view.rows($0) } == projection.tables.map { folded[index].rows($0.name) },
                        "\(projection.name) as of \(position)")
            }
        }
        // A damaged snapshot is named, not folded into an answer.
        try file.execute("UPDATE projection_snapshots SET rows = x'0203' WHERE position = 16")
        #expect(throws: LedgerError.self) { try ledger.projectInMemory(ReadModels.all, through: 20) }
        try file.execute("UPDATE projection_snapshots SET version = version + 1 WHERE position = 16")
        try ledger.rebuild(GuardsProjection.self)
        #expect(try file.scalar("SELECT count(*) FROM projection_snapshots WHERE name = 'guards' AND version <> \(GuardsProjection.version)") == 0)
        #expect(try file.scalar("SELECT version FROM projection_snapshots WHERE name = 'guards' AND position = 16") == GuardsProjection.version,
                "taken again by the rebuild")
    }

    /// The random histories reach every guard state, so the comparison above means something.
    /// Write-outs sort keys as SQLite does: texts by their UTF-8 bytes, small strings, long
    /// ones, composed and decomposed accents and NUL alike.
    @Test func textsSortByTheirBytes() {
        let texts = ["", "a", "ab", "b", "B", "\u{0}", "a\u{0}", "é", "e\u{301}", "ｚ", "😀", "case-10", "case-9",
                     String(repeating: "long key ", count: 4), String(repeating: "long key ", count: 4) + "!",
                     String(repeating: "é", count: 20), String(repeating: "e\u{301}", count: 20)]
        for a in texts {
            for b in texts {
                #expect(RowValue.textPrecedes(a, b) == Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8)), "\(a) < \(b)")
            }
        }
        let values: [RowValue] = [.null, .integer(-1), .integer(0), .integer(7), .text(""), .text("a"), .text("é"), .text("e\u{301}")]
        let keys = [[]] + values.map { [$0] } + values.flatMap { a in values.map { b in [a, b] } }
        for a in keys {
            for b in keys {
                #expect(RowValue.keyPrecedes(a, b) == a.lexicographicallyPrecedes(b, by: RowValue.precedes), "\(a) < \(b)")
            }
        }
    }

    /// A skill's recent runs read back from their stored words; other words are left out.
    @Test func skillTalliesReadBackFromTheirWords() {
        var row = SkillHealthRow(skill: "triage")
        row.recent = [.init(passed: 9, ran: 10), .init(passed: 0, ran: 3), .init(passed: 12345, ran: 12345)]
        #expect(SkillHealthRow(values: row.values).recent == row.recent)
        var values = row.values
        values[5] = .text("  9/10 x 1/2/3 /4 a/1 +2/-3 99999999999999999999/1 3//4 ")
        #expect(SkillHealthRow(values: values).recent.map(\.description) == ["9/10", "2/-3", "3/4"])
    }

    @Test func randomHistoriesReachEveryGuardState() throws {
        var states = Set<GuardState>()
        for seed in 0..<24 {
            let folder = NSTemporaryDirectory() + "remedy-histories-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let other = try ProjectionTests(folder: folder)
            try other.playRandomHistory(seed: UInt64(seed))
            for row in try other.ledger.rows(GuardRow.self) { states.insert(row.state) }
        }
        #expect(states == Set(GuardState.allCases))
    }

    @Test func catchUpFoldsOnlyNewEventsAndANewVersionRebuilds() throws {
        let played = try AvalancheStory.play(into: ledger, reportsFolder: folder)
        #expect(played.decisions.count == 2)
        let first = try ledger.catchUp(GuardsProjection.self)
        #expect(first.rebuilt && first.position == 52)
        #expect(try ledger.rows(of: GuardsProjection.table).count == 2)
        let nothingNew = try ledger.catchUp(GuardsProjection.self)
        #expect(!nothingNew.rebuilt && nothingNew.folded == 0)
        try steps.retireGuard(suite: AvalancheStory.suite, case: "alerts.danger::rating-threshold-level-4", reason: "redesigned", by: "dana")
        let one = try ledger.catchUp(GuardsProjection.self)
        #expect(!one.rebuilt && one.folded == 1)
        // A checkpoint written by another version of the projection: rebuilt on first use.
        try file.execute("UPDATE projection_checkpoints SET version = 0")
        #expect(try ledger.catchUp(GuardsProjection.self).rebuilt)
    }

    /// Projections/README.md documents every table people query, and each of its columns.
    @Test func theReadModelsAreDocumented() throws {
        let readme = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Projections/README.md").path, encoding: .utf8)
        let working = ["ratchet_guards", "ratchet_suites", "ratchet_open_runs", "case_runs", "queue_failures", "queue_fixes", "regression_runs", "autonomy_fixes"]
        for table in ReadModels.all.flatMap({ $0.tables }) where !working.contains(table.name) && !table.name.hasPrefix("health_") {
            #expect(readme.contains("`\(table.name)`"), "\(table.name) is documented")
            for column in table.columns {
                let name = column.name
                let documented = readme.contains("`\(name)`") || readme.contains("`\(name.replacingOccurrences(of: "_commit", with: ""))`/`_commit`")
                    || readme.contains("/`_\(name.split(separator: "_").last!)`")
                #expect(documented, "\(table.name).\(name) is documented")
            }
        }
    }

    @Test func theStorysRatchet() throws {
        _ = try AvalancheStory.play(into: ledger, reportsFolder: folder)
        let rows = try ReadModelView(ledger: ledger).rows(RatchetRunRow.self)
        // run, guards total, held, slips, tests, pass rate, high water; verification runs left out.
        #expect(rows.map { "\($0.runID) \($0.guardsTotal) \($0.guardsHeld) \($0.slips) \($0.tests) \($0.passRate ?? "-") \($0.highWater)" } == [
            "1 0 0 0 5 0.8000 0", "2 1 1 0 5 0.8000 1", "3 2 1 1 5 0.8000 1",
        ])
        #expect(rows.allSatisfy { $0.ran == 5 && $0.passed == 4 }, "ran, passed")
        #expect(RowValue.rate(2, of: 3) == "0.6667" && RowValue.rate(0, of: 0) == nil)
    }

    @Test func theStorysCaseHistory() throws {
        _ = try AvalancheStory.play(into: ledger, reportsFolder: folder)
        let rows = try ReadModelView(ledger: ledger).rows(CaseRow.self)
        func row(_ key: String) -> CaseRow? { rows.first { $0.caseKey == key } }
        let dates = try #require(row("forecast.bulletins::slf-date-format"))
        #expect(dates.condition == .regression && dates.lastRun == "3" && dates.lastResult == .fail && dates.previousResult == .pass)
        #expect(dates.runs == 3 && dates.flips == 2 && dates.firstFailingRun == "3" && dates.firstFailingCommit == "c0ffee1")
        #expect(dates.lastPassingRun == "2" && dates.lastPassingCommit == "8a3b7c2")
        #expect(row("alerts.danger::rating-threshold-level-4")?.condition == .fixed)
        #expect(row("forecast.bulletins::caic-bulletin-sections")?.condition == .passing)
        #expect(row("forecast.bulletins::caic-bulletin-sections")?.flips == 0)
        let timeline = try ledger.rows(CaseTimelineRow.self, matching: [("case_key", .text("forecast.bulletins::slf-date-format"))])
        #expect(timeline.map { "\($0.runID) \($0.result)" } == ["1 fail", "2 pass", "3 fail"], "verification runs are not the case's history")
        let now = try Timestamp(parsing: "2099-01-01")
        let history = try CaseHistory.read("forecast.bulletins::slf-date-format", in: ReadModelView(ledger: ledger), now: now)
        #expect(history.ageRuns == 3 && history.flipRate == "1.0000" && history.timeline.map(\.result) == [.fail, .pass, .fail])
        #expect(history.openFailure == "failure-3")
        #expect(history.ageMilliseconds > 365 * 86_400_000)
        #expect(try CaseHistory.read("forecast.bulletins::caic-bulletin-sections", in: ReadModelView(ledger: ledger), now: now).openFailure == nil)
        #expect(throws: LoopError.self) { try CaseHistory.read("no::such", in: ReadModelView(ledger: ledger), now: now) }
        let early = try ReadModelView(ledger: ledger, asOf: try ReadModels.position(asOf: "run:1", in: ledger)).rows(CaseRow.self)
        #expect(early.first { $0.caseKey == "forecast.bulletins::slf-date-format" }?.condition == .failing)
        #expect(early.first { $0.caseKey == "forecast.bulletins::caic-bulletin-sections" }?.condition == .new)
    }

    @Test func theStorysRegressionsAndDiff() throws {
        _ = try AvalancheStory.play(into: ledger, reportsFolder: folder)
        let live = try RegressionView.all(in: ReadModelView(ledger: ledger))
        #expect(live == [RegressionView(failure: "failure-3", suite: "avalanche-golden", case: "forecast.bulletins::slf-date-format",
                                        lastGoodRun: "2", lastGoodCommit: "8a3b7c2", firstBadRun: "3", firstBadCommit: "c0ffee1", open: true)])
        let run2 = try ReadModels.position(asOf: "run:2", in: ledger)
        #expect(try RegressionView.all(in: ReadModelView(ledger: ledger, asOf: run2)).isEmpty)
        #expect(try RegressionView.all(in: ReadModelView(ledger: ledger), sincePosition: run2 + 1).count == 1)

        let diff = try RunDiff.between(suite: "avalanche-golden", "2", "3", ledger: ledger)
        #expect(diff.guardsSlipped == ["forecast.bulletins::slf-date-format"])
        #expect(diff.newlyFailing == ["forecast.bulletins::slf-date-format"])
        #expect(diff.newlyPassing == ["alerts.danger::rating-threshold-level-4"])
        // As of run 2, run 3 had not happened.
        #expect(throws: LoopError.self) { try RunDiff.between(suite: "avalanche-golden", "1", "3", ledger: ledger, asOf: run2) }
        #expect(try RunDiff.between(suite: "avalanche-golden", "1", "2", ledger: ledger, asOf: run2).newlyPassing == ["forecast.bulletins::slf-date-format"])
    }

    /// A case counts once per run in its skill's pass rate, and its last attempt decides.
    @Test func skillHealthCountsCasesNotAttempts() throws {
        func outcome(_ key: String, _ attempt: Int, _ status: CaseStatus) throws {
            var recorded = CaseOutcomeRecorded(case: key, attempt: attempt, status: status)
            recorded.skill = "dates"
            try append("run-s/1", .caseOutcomeRecorded, recorded)
        }
        try append("run-s/1", .evalRunStarted, EvalRunStarted(suite: "s", runID: "1", kind: .eval, format: "junit", reports: []))
        try outcome("a", 1, .pass)
        try outcome("a", 2, .pass)   // in two reports: still one case
        try outcome("b", 1, .skip)
        try outcome("b", 2, .fail)   // skipped, then failed: one case, failing
        try outcome("c", 1, .fail)
        try outcome("c", 2, .pass)   // a retry that passed: passing
        try outcome("d", 1, .pass)
        try outcome("d", 2, .error)  // passed, then errored: the last attempt decides
        try append("run-s/1", .evalRunCompleted, EvalRunCompleted(suite: "s", runID: "1"))
        let health = try #require(try SkillHealth.read(from: ReadModelView(ledger: ledger), skill: "dates").first)
        #expect(health.row.cases == 4)
        #expect(health.row.passRate == "0.5000")
        #expect(health.row.recent == [SkillHealthRow.RunTally(passed: 2, ran: 4)])
        let memory = try SkillHealth.read(from: ReadModelView(ledger: ledger, asOf: 100), skill: "dates")
        #expect(memory == [health])
    }

    /// A fix proposed twice in a hand-written batch counts once: reverting it brings its
    /// failure back to the queue.
    @Test func theQueueIgnoresARepeatedProposal() throws {
        try append("failure-1", .failureDetected, FailureDetected(failure: "failure-1", kind: .eval, suite: "s", case: "a", runID: "1",
                                                                  status: .fail, passedBefore: false))
        let proposal = FixProposed(fix: "fix-a", failures: ["failure-1"], lever: .code, change: "c", origin: .agent, blastRadius: .low, reversible: true, by: "x")
        try append("fix-a", .fixProposed, proposal)
        try append("fix-a", .fixProposed, proposal)
        #expect(try NextQueue.items(ReadModelView(ledger: ledger), now: Timestamp.now()).map(\.kind) == [.verify])
        try append("fix-a", .fixReverted, FixReverted(fix: "fix-a", reason: "r"))
        #expect(try NextQueue.items(ReadModelView(ledger: ledger), now: Timestamp.now()).map(\.kind) == [.diagnose])
        // It has waited the runs of its suite started since, and the time since it was detected.
        for run in ["1", "2"] {
            try append("run-s/\(run)", .evalRunStarted, EvalRunStarted(suite: "s", runID: run, kind: .eval, format: "junit", reports: []))
            try append("run-s/\(run)", .evalRunCompleted, EvalRunCompleted(suite: "s", runID: run))
        }
        let item = try #require(try NextQueue.items(ReadModelView(ledger: ledger), now: Timestamp(parsing: "2099-01-01")).first)
        #expect(item.ageRuns == 2 && item.ageMilliseconds > 0)
    }

    /// Verification runs are never the ratchet's, even when two are open at once.
    @Test func overlappingVerificationRunsStayOutOfTheRatchet() throws {
        func started(_ run: String, verifies: String?) -> EvalRunStarted {
            var started = EvalRunStarted(suite: "s", runID: run, kind: .eval, format: "junit", reports: [])
            started.verifies = verifies
            return started
        }
        try append("run-s/v1", .evalRunStarted, started("v1", verifies: "fix-a"))
        try append("run-s/v2", .evalRunStarted, started("v2", verifies: "fix-b"))
        try append("run-s/v1", .evalRunCompleted, EvalRunCompleted(suite: "s", runID: "v1"))
        try append("run-s/1", .evalRunStarted, started("1", verifies: nil))
        try append("run-s/v2", .evalRunCompleted, EvalRunCompleted(suite: "s", runID: "v2"))
        try append("run-s/1", .evalRunCompleted, EvalRunCompleted(suite: "s", runID: "1"))
        #expect(try ReadModelView(ledger: ledger).rows(RatchetRunRow.self).map(\.runID) == ["1"])
    }

    @Test func aRunIdNamesItsSuiteUnlessSeveralSuitesHaveIt() throws {
        for stream in ["run-golden/1", "run-smoke/1", "run-golden/12", "run-smoke/2"] {
            try ledger.append(try ProposedEvent(stream: StreamName(stream), type: EventType("Noted"), json: Array("{}".utf8)))
        }
        #expect(try ReadModels.suite(ofRun: "12", in: ledger) == "golden")
        #expect(try ReadModels.suite(ofRun: "2", in: ledger) == "smoke")
        #expect(throws: LoopError.self) { try ReadModels.suite(ofRun: "1", in: ledger) }
        #expect(throws: LoopError.self) { try ReadModels.suite(ofRun: "3", in: ledger) }
    }

    @Test func theStorysStatsBySuiteAndSkill() throws {
        _ = try AvalancheStory.play(into: ledger, reportsFolder: folder)
        let view = ReadModelView(ledger: ledger)
        #expect(try PeriodStats.bySuite(view, period: .all) == [
            PeriodStats(period: "all", name: "avalanche-golden", runs: 3, ran: 15, passed: 12, slips: 1, guardsHeld: 1),
        ])
        let skills = try PeriodStats.bySkill(view, period: .all)
        #expect(skills.map { [$0.name, "\($0.runs)", "\($0.ran)", "\($0.passed)", $0.passRate] } == [
            ["bulletin-parser", "3", "3", "3", "1.0000"], ["danger-rating", "3", "6", "5", "0.8333"], ["date-normalizer", "3", "6", "4", "0.6667"],
        ])
        let early = try PeriodStats.bySkill(ReadModelView(ledger: ledger, asOf: try ReadModels.position(asOf: "run:1", in: ledger)), period: .day)
        #expect(early.map(\.runs) == [1, 1, 1])
        #expect(PeriodStats.Period.week.key("2026-11-25T10:00:00.000Z") == "week of 2026-11-23")
        #expect(PeriodStats.Period.week.key("2026-11-29T23:59:59.999Z") == "week of 2026-11-23")
        #expect(PeriodStats.Period.week.key("2026-11-30T00:00:00.000Z") == "week of 2026-11-30")
        #expect(PeriodStats.Period.month.key("2026-11-30T00:00:00.000Z") == "2026-11")
    }

    @Test func timeTravelAnswersFromThePastWithoutTouchingTheTables() throws {
        _ = try AvalancheStory.play(into: ledger, reportsFolder: folder)
        try ledger.catchUp(GuardsProjection.self)
        let live = try ledger.rows(of: GuardsProjection.table)
        let afterRun2 = try ReadModels.position(asOf: "run:2", in: ledger)
        let then = try ReadModelView(ledger: ledger, asOf: afterRun2).rows(GuardRow.self)
        #expect(then.map(\.caseKey) == ["forecast.bulletins::slf-date-format"])
        #expect(then.first?.state == .holding, "before run 3, the date guard had not slipped")
        #expect(try ReadModelView(ledger: ledger, asOf: 1).rows(GuardsProjection.table).isEmpty)
        #expect(try ledger.rows(of: GuardsProjection.table) == live)
        #expect(throws: LoopError.self) { try ReadModels.position(asOf: "run:nope", in: ledger) }
        #expect(try ReadModels.position(asOf: "2000-01-01", in: ledger) == 0)
    }

    /// A rebuild that fails halfway leaves the previous tables as they were.
    @Test func anInterruptedRebuildLeavesThePreviousTables() throws {
        _ = try AvalancheStory.play(into: ledger, reportsFolder: folder)
        try ledger.catchUp(FailingProjection.self)
        let before = try ledger.rows(of: FailingProjection.table)
        #expect(before.count == 3)
        FailingProjection.failAfter.withLock { $0 = 1 }
        #expect(throws: (any Error).self) { try ledger.rebuild(FailingProjection.self) }
        #expect(try ledger.rows(of: FailingProjection.table) == before)
    }
}

/// Counts failures per suite, and can be told to fail partway through a fold.
enum FailingProjection: Projection {
    static let name = "failing"
    static let version = 1
    static let eventTypes = [LoopEventType.failureDetected.rawValue]
    static let table = ReadModelTable(name: "failing_counts", columns: [.init("failure", "TEXT", "id"), .init("n", "INTEGER", "order")],
                                      keyColumns: 1, documentation: "test")
    static let tables = [table]
    static let failAfter = Mutex<Int?>(nil)
    static let seen = Mutex(0)

    static func apply(_ event: ProjectedEvent, rows: RowReader) throws -> [RowWrite] {
        let detected = try LoopPayload.decode(FailureDetected.self, from: event.data)
        if let limit = failAfter.withLock({ $0 }) {
            let count = seen.withLock { $0 += 1; return $0 }
            if count > limit { throw LoopError(.invalidState, "stopped partway") }
        }
        return [.upsert(table: table.name, row: [.text(detected.failure), .integer(event.position)])]
    }
}

extension ProjectionTests {
    /// The benchmark generator writes the catalogue's own events, as the loop's commands would:
    /// the loop's rules admit every one, and they fold into every projection.
    /// The same 12,000 generated events through the loop's door on PostgreSQL, where a batch
    /// is read in windows whose outcomes load their suite's cases a suite at a time.
    @Test(.enabled(if: PostgresTestServer.isAvailable))
    func generatedHistoriesPassTheLoopsRulesOnPostgres() throws {
        try ProjectionTests(postgres: try PostgresTestServer.freshLocation()).generatedHistoriesPassTheLoopsRulesAndFoldIntoEveryProjection()
    }

    @Test func generatedHistoriesPassTheLoopsRulesAndFoldIntoEveryProjection() throws {
        var generator = EventGenerator(seed: 7, caseCount: 200, skillCount: 8)
        var produced = 0
        try steps.append(batch: {
            guard produced < 12_000 else { return nil }
            produced += 1
            return (try BatchLine.decode(Array(generator.next().utf8)), "generated line \(produced)")
        })
        let state = try LoopState.fold(ledger)
        #expect(state.runs.count > 10 && !state.fixes.isEmpty)
        #expect(state.fixes.values.contains { $0.gate?.decision == .review && $0.merged != nil })
        #expect(state.failures.values.contains { $0.detected.kind == .regression }, "guards slip now and then")
        for projection in ReadModels.all {
            let result = try ledger.rebuild(projection)
            #expect(result.folded > 0, "\(projection.name)")
        }
        let guards = try ledger.rows(of: GuardsProjection.table)
        #expect(!guards.isEmpty)
        #expect(try ledger.rows(of: RatchetProjection.runs).count == state.runs.values.filter { $0.completed != nil }.count)
        #expect(try ledger.loadedState(like: state) == state)

        // A regression is recorded once, while its run is open; the same one again is refused.
        var query = EventQuery()
        query.types = ["RegressionDetected"]
        var last: (stream: String, payload: [UInt8])?
        try ledger.forEachEvent(query) { _, _, stream, bytes in
            last = (stream, Array(EventEnvelope.payloadBytes(of: bytes)!))
            return true
        }
        let regression = try #require(last)
        let again = try ProposedEvent(stream: StreamName(regression.stream), type: EventType("RegressionDetected"), json: regression.payload)
        #expect(throws: LoopError.self) { try steps.append(again) }
        do { try steps.append(again) } catch let error as LoopError {
            #expect(error.message.contains("of suite golden is not being recorded"), "\(error.message)")
        }
    }
}
