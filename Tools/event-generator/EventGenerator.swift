import Crypto

/// A deterministic generator of realistic ledger traffic, as NDJSON batch lines.
///
/// It plays the remediation loop over a golden dataset, in the catalogue's own event types
/// and payloads (`Events/Catalogue`), as the loop's own commands would record it, so the
/// loop's rules admit every event (`remedy append` checks them) and projections can fold what
/// it writes: it adopts a policy, and each run starts, records an outcome per case (about
/// 300-byte payloads: case key, skill, status, score, duration, message, trace id), detects new
/// failures, regressions and resolved ones, and completes; open failures get diagnosed, fixed,
/// gated under the policy (a person decides), approved and merged now and then, so guards form
/// and sometimes slip. The same seed gives the same bytes on every machine.
public struct EventGenerator {
    /// The policy the generated history adopts first: every fix goes to a person.
    public static let policyText = #"{"name":"generated","rules":[{"decide":"review","name":"every fix needs a person","when":{}}]}"#
    private var random: SplitMix64
    private let cases: [(key: String, skill: String)]
    private let suite = "golden"
    private var run = 0
    private var caseIndex = 0
    private var pending: [String] = []
    private var failureCount = 0
    private var fixCount = 0
    /// Open failure id per case index, and cases whose fix merged (guards once they pass).
    private var openFailure: [Int: Int] = [:]
    private var fixedBy: [Int: Int] = [:]
    private var runFailures = 0, runTests = 0, newFailures = 0, stillFailing = 0, fixed = 0, regressions = 0
    private var finalStatus: [Int: Bool] = [:]
    /// Per case: the failure and fix of its guard, whether it ever passed and the last run it did.
    private var guards: [Int: (failure: Int, fix: Int)] = [:]
    private var everPassed = Set<Int>()
    private var lastPassingRun: [Int: Int] = [:]
    /// Per open failure: whether the case had passed before it.
    private var passedBefore: [Int: Bool] = [:]
    private var adopted = false

    public init(seed: UInt64 = 20_261_125, caseCount: Int = 2_000, skillCount: Int = 40) {
        random = SplitMix64(seed: seed)
        let areas = ["alerts", "summaries", "triage", "dosage", "billing", "search", "intake", "coding"]
        cases = (0..<caseCount).map { index in
            let skill = "\(areas[index % areas.count])-\(index % skillCount)"
            return ("golden.\(skill)::case-\(String(index, radix: 36))-\(index * 7919 % 10007)", skill)
        }
    }

    /// Whether the lines so far end between two runs (every run started has completed), as
    /// a ledger written by `remedy ingest`, one run a transaction, always does.
    public var isBetweenRuns: Bool { caseIndex == 0 && pending.isEmpty }

    /// The next line (without a newline).
    public mutating func next() -> String {
        while pending.isEmpty { refill() }
        return pending.removeFirst()
    }

    private var runStream: String { "run-\(suite)/\(run)" }

    private mutating func refill() {
        if !adopted {
            adopted = true
            let text = Self.policyText
            pending.append(line("policy-autonomy", "PolicyAdopted", #"{"by":"dana@example.com","format":"json","policy_sha256":"\#(policyDigest)","text":"\#(text.map { $0 == "\"" ? "\\\"" : String($0) }.joined())"}"#))
            return
        }
        if caseIndex == 0 { startRun() }
        let index = caseIndex
        let (key, skill) = cases[index]
        // Cases fail now and then; a merged fix makes its case pass, and guards rarely slip.
        let roll = random.next() % 1000
        let failing = fixedBy[index] != nil ? roll < 3 : (openFailure[index] != nil ? roll < 700 : roll < 40)
        let score = failing ? 20 + random.next() % 55 : 80 + random.next() % 20
        runTests += 1
        if failing { runFailures += 1 }
        pending.append(line(runStream, "CaseOutcomeRecorded", """
            {"attempt":1,"case":"\(key)","duration_ms":\(200 + random.next() % 4000),\(failing ? "\"message\":\"expected the \(skill) answer to cite the guideline\"," : "")"properties":{"model":"m-\(random.next() % 4)","temperature":"0"},"score":"0.\(score)","skill":"\(skill)","status":"\(failing ? "fail" : "pass")","threshold":"0.80","trace_id":"tr-\(hex(16))"}
            """))
        finalStatus[index] = !failing
        caseIndex += 1
        if caseIndex == cases.count {
            caseIndex = 0
            completeRun()
        }
    }

    private mutating func startRun() {
        run += 1
        runFailures = 0; runTests = 0; newFailures = 0; stillFailing = 0; fixed = 0; regressions = 0
        finalStatus.removeAll(keepingCapacity: true)
        pending.append(line(runStream, "EvalRunStarted", """
            {"commit":"\(hex(7))","dataset_version":"2026.\(run / 500 + 1)","dirty":false,"format":"junit","kind":"eval","producer":"promptfoo","producer_version":"0.120.19","reports":[{"file":"reports/run-\(run).xml","sha256":"\(hex(64))"}],"run_id":"\(run)","suite":"\(suite)","trigger":"\(run % 5 == 0 ? "schedule" : "push")"}
            """))
    }

    /// Detection for the run just recorded, the loop's steps on what is open, and the run's end.
    private mutating func completeRun() {
        for index in finalStatus.keys.sorted() {
            let passed = finalStatus[index]!
            let (key, skill) = cases[index]
            if passed, let failure = openFailure.removeValue(forKey: index) {
                let fix = fixedBy[index]
                if let fix { guards[index] = (failure, fix) }
                fixed += 1
                pending.append(line("failure-\(failure)", "FailureResolved", """
                    {"became_guard":\(fix != nil),\(fix.map { "\"fix\":\"fix-\($0)\"," } ?? "")"case":"\(key)","failure":"failure-\(failure)","run_id":"\(run)","suite":"\(suite)"}
                    """))
            } else if !passed && openFailure[index] != nil {
                stillFailing += 1
            } else if !passed {
                failureCount += 1
                openFailure[index] = failureCount
                passedBefore[failureCount] = everPassed.contains(index)
                newFailures += 1
                let guarded = guards[index]
                pending.append(line("failure-\(failureCount)", "FailureDetected", """
                    {"case":"\(key)","failure":"failure-\(failureCount)","first_failing_run":"\(run)","kind":"\(guarded != nil ? "regression" : "eval")","message":"expected the \(skill) answer to cite the guideline","passed_before":\(everPassed.contains(index)),"run_id":"\(run)","skill":"\(skill)","status":"fail","suite":"\(suite)"}
                    """))
                if let guarded {
                    regressions += 1
                    fixedBy[index] = nil
                    pending.append(line("failure-\(failureCount)", "RegressionDetected", """
                        {"case":"\(key)","failure":"failure-\(failureCount)","guard_failure":"failure-\(guarded.failure)","guard_fix":"fix-\(guarded.fix)",\(lastPassingRun[index].map { "\"last_passing_run\":\"\($0)\"," } ?? "")"run_id":"\(run)","suite":"\(suite)"}
                        """))
                }
            }
        }
        pending.append(line(runStream, "EvalRunCompleted", """
            {"cases":\(runTests),"duplicates":0,"errors":0,"failures":\(runFailures),"fixed":\(fixed),"flaky":0,"new_failures":\(newFailures),"regressions":\(regressions),"run_id":"\(run)","skipped":0,"still_failing":\(stillFailing),"suite":"\(suite)","tests":\(runTests)}
            """))
        for (index, passed) in finalStatus where passed {
            everPassed.insert(index)
            lastPassingRun[index] = run
        }
        // Work the loop: some open failures, oldest first, get a fix that a person approves.
        for (index, failure) in openFailure.sorted(by: { $0.value < $1.value }).prefix(8) where fixedBy[index] == nil && random.next() % 2 == 0 {
            fixCount += 1
            let fix = "fix-\(fixCount)"
            let skill = cases[index].skill
            fixedBy[index] = fixCount
            pending.append(line("failure-\(failure)", "DiagnosisRecorded", """
                {"by":"agent:triage","confidence":"0.\(50 + random.next() % 50)","evidence":["tr-\(hex(16))"],"failure":"failure-\(failure)","lever":"\(["code", "threshold", "skill"][Int(random.next() % 3)])","target":"\(skill)"}
                """))
            pending.append(line(fix, "FixProposed", """
                {"blast_radius":"low","by":"agent:fixer","change":"https://git.example/acme/app/pull/\(fixCount)","failures":["failure-\(failure)"],"fix":"\(fix)","lever":"skill","origin":"agent","reversible":true,"target":"\(skill)"}
                """))
            // The facts the gate records for an unverified fix, and the policy's answer.
            let kind = guards[index] != nil ? "regression" : "eval"
            pending.append(line(fix, "GateDecided", """
                {"decision":"review","facts":{"blast_radius":"low","dataset_source":"none","golden_covered":"false","guards_covered":"false","guards_failed":"0","kind":"\(kind)","lever":"skill","origin":"agent","pass_to_fail":"0","passed_before":"\(passedBefore[failure]!)","reversible":"true","target":"\(skill)","verified":"false","verified_clean":"false"},"fix":"\(fix)","policy_sha256":"\(policyDigest)","rule":"every fix needs a person","rules_considered":["every fix needs a person"]}
                """))
            pending.append(line(fix, "ReviewRecorded", """
                {"by":"dana@example.com","fix":"\(fix)","verdict":"approve"}
                """))
            pending.append(line(fix, "FixMerged", """
                {"by":"ci","commit":"\(hex(7))","fix":"\(fix)"}
                """))
        }
    }

    private let policyDigest = SHA256.hash(data: Array(EventGenerator.policyText.utf8)).map { byte in
        String(byte >> 4, radix: 16) + String(byte & 15, radix: 16)
    }.joined()

    private func line(_ stream: String, _ type: String, _ data: String) -> String {
        #"{"stream":"\#(stream)","type":"\#(type)","actor":"ci","correlation_id":"pipeline-\#(run)","data":\#(data)}"#
    }

    private mutating func hex(_ digits: Int) -> String {
        var out = ""
        while out.count < digits {
            let word = String(random.next(), radix: 16)
            out += String(repeating: "0", count: 16 - word.count) + word
        }
        return String(out.prefix(digits))
    }
}

/// SplitMix64: small, fast and the same everywhere, for generated tests and benchmarks.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
