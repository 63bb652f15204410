/// A deterministic generator of realistic ledger traffic, as NDJSON batch lines.
///
/// It plays eval runs over a golden dataset: each run starts, records an outcome per case
/// (about 300-byte payloads: case key, skill, status, score, duration, message, trace id),
/// and completes; failing cases get detected, diagnosed, fixed, verified, gated and merged
/// now and then. The same seed gives the same bytes on every machine.
public struct EventGenerator {
    private var random: SplitMix64
    private let cases: [(key: String, skill: String)]
    private var run = 0
    private var caseIndex = 0
    private var pending: [String] = []
    private var failureCount = 0

    public init(seed: UInt64 = 20_261_125, caseCount: Int = 2_000, skillCount: Int = 40) {
        random = SplitMix64(seed: seed)
        let areas = ["alerts", "summaries", "triage", "dosage", "billing", "search", "intake", "coding"]
        cases = (0..<caseCount).map { index in
            let skill = "\(areas[index % areas.count])-\(index % skillCount)"
            return ("golden/\(skill)/case-\(String(index, radix: 36))-\(index * 7919 % 10007)", skill)
        }
    }

    /// The next line (without a newline).
    public mutating func next() -> String {
        if pending.isEmpty { refill() }
        return pending.removeFirst()
    }

    private mutating func refill() {
        if caseIndex == 0 {
            run += 1
            pending.append(line(stream: "run-golden-\(run)", type: "EvalRunStarted", data: """
                {"suite":"golden","run_id":"\(run)","commit":"\(hex(7))","dirty":false,"dataset_version":"2026.\(run / 500 + 1)","trigger":"\(run % 5 == 0 ? "schedule" : "push")","producer":"promptfoo","producer_version":"0.120.19","report_sha256":"\(hex(64))"}
                """))
        }
        let (key, skill) = cases[caseIndex]
        let failing = random.next() % 20 == 0
        let score = failing ? 20 + random.next() % 55 : 80 + random.next() % 20
        pending.append(line(stream: "run-golden-\(run)", type: "CaseOutcomeRecorded", data: """
            {"case":"\(key)","skill":"\(skill)","attempt":1,"status":"\(failing ? "fail" : "pass")","score":"0.\(score)","threshold":"0.80","duration_ms":\(200 + random.next() % 4000),"message":"\(failing ? "expected the \(skill) answer to cite the guideline" : "")","trace_id":"tr-\(hex(16))","properties":{"model":"m-\(random.next() % 4)","temperature":"0"}}
            """))
        if failing && random.next() % 8 == 0 {
            failureCount += 1
            let failure = "failure-\(failureCount)"
            let fix = "fix-\(failureCount)"
            pending.append(line(stream: failure, type: "FailureDetected", data: #"{"kind":"eval","case":"\#(key)","run_id":"\#(run)","first_failing_run":"\#(run)"}"#))
            pending.append(line(stream: failure, type: "DiagnosisRecorded", data: #"{"lever":"\#(["code", "threshold", "skill"][Int(random.next() % 3)])","target":"\#(skill)","evidence":["tr-\#(hex(16))"],"confidence":"0.\#(50 + random.next() % 50)"}"#))
            pending.append(line(stream: fix, type: "FixProposed", data: #"{"failures":["\#(failure)"],"change":"https://git.example/acme/app/pull/\#(failureCount)","origin":"agent","blast_radius":"low","reversible":true}"#))
            pending.append(line(stream: fix, type: "GateDecided", data: #"{"decision":"review","rule":"eval failures need a person","policy_sha256":"\#(hex(64))"}"#))
        }
        caseIndex += 1
        if caseIndex == cases.count {
            caseIndex = 0
            pending.append(line(stream: "run-golden-\(run)", type: "EvalRunCompleted", data: #"{"suite":"golden","run_id":"\#(run)","tests":\#(cases.count)}"#))
        }
    }

    private func line(stream: String, type: String, data: String) -> String {
        #"{"stream":"\#(stream)","type":"\#(type)","actor":"ci","correlation_id":"pipeline-\#(run)","data":\#(data)}"#
    }

    private mutating func hex(_ digits: Int) -> String {
        var out = ""
        while out.count < digits { out += String(random.next(), radix: 16) }
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
