/// Example events: one round of the remediation loop as NDJSON batch lines (see ``BatchLine``),
/// from an eval run that finds a failure to a merged fix whose case becomes a regression guard.
///
/// They show the envelope and the batch format, and give tests a small realistic ledger. Ids
/// are fixed, so appending them twice to one ledger appends nothing the second time.
public enum ExampleEvents {
    /// The batch, one event a line.
    public static let ndjson: String = """
    {"stream":"run-golden-101","type":"EvalRunStarted","id":"01936a52-0000-7000-8000-000000000001","actor":"ci","correlation_id":"pipeline-101","data":{"suite":"golden","run_id":"101","commit":"4f2c9e1","dirty":false,"dataset_version":"2026.11","trigger":"push","producer":"promptfoo","producer_version":"0.120.19"}}
    {"stream":"run-golden-101","type":"CaseOutcomeRecorded","id":"01936a52-0000-7000-8000-000000000002","actor":"ci","correlation_id":"pipeline-101","data":{"case":"golden/alerts/heart-rate-danger","attempt":1,"status":"fail","score":"0.41","threshold":"0.80","duration_ms":1840,"message":"expected a danger alert at 182 bpm","trace_id":"tr-7a1","skill":"alerts"}}
    {"stream":"run-golden-101","type":"CaseOutcomeRecorded","id":"01936a52-0000-7000-8000-000000000003","actor":"ci","correlation_id":"pipeline-101","data":{"case":"golden/summary/weekly-digest","attempt":1,"status":"pass","score":"0.93","threshold":"0.80","duration_ms":2210,"skill":"summaries"}}
    {"stream":"run-golden-101","type":"EvalRunCompleted","id":"01936a52-0000-7000-8000-000000000004","actor":"ci","correlation_id":"pipeline-101","data":{"suite":"golden","run_id":"101","tests":2,"failures":1,"errors":0,"skipped":0,"report_sha256":"9b1d0f3c5e2a4b6d8f0a1c3e5b7d9f1a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b2d"}}
    {"stream":"failure-1","type":"FailureDetected","id":"01936a52-0000-7000-8000-000000000005","actor":"remedy","correlation_id":"pipeline-101","causation_id":"01936a52-0000-7000-8000-000000000002","data":{"kind":"eval","case":"golden/alerts/heart-rate-danger","run_id":"101","first_failing_run":"101"}}
    {"stream":"failure-1","type":"DiagnosisRecorded","id":"01936a52-0000-7000-8000-000000000006","actor":"agent:triage","correlation_id":"pipeline-101","data":{"lever":"threshold","target":"alerts/heart-rate.danger_bpm","evidence":["tr-7a1"],"confidence":"0.8"}}
    {"stream":"fix-42","type":"FixProposed","id":"01936a52-0000-7000-8000-000000000007","actor":"agent:fixer","correlation_id":"pipeline-101","data":{"failures":["failure-1"],"lever":"threshold","change":"https://git.example/acme/app/pull/42","origin":"agent","blast_radius":"low","reversible":true}}
    {"stream":"fix-42","type":"FixVerified","id":"01936a52-0000-7000-8000-000000000008","actor":"ci","correlation_id":"pipeline-102","data":{"run_id":"102","dataset_version":"2026.11","cases":2,"flips":{"fail_to_pass":["golden/alerts/heart-rate-danger"],"pass_to_fail":[]},"guards_failed":[]}}
    {"stream":"fix-42","type":"GateDecided","id":"01936a52-0000-7000-8000-000000000009","actor":"remedy","correlation_id":"pipeline-102","data":{"decision":"review","rule":"high-stakes targets need a person","policy_sha256":"5e8f2b1c3d4a6e7f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f"}}
    {"stream":"fix-42","type":"ReviewRecorded","id":"01936a52-0000-7000-8000-00000000000a","actor":"dana@example.com","correlation_id":"pipeline-102","data":{"verdict":"approve","comment":"matches the cardiologists' threshold"}}
    {"stream":"fix-42","type":"FixMerged","id":"01936a52-0000-7000-8000-00000000000b","actor":"ci","correlation_id":"pipeline-102","data":{"commit":"8a3b7c2"}}
    {"stream":"failure-1","type":"FailureResolved","id":"01936a52-0000-7000-8000-00000000000c","actor":"remedy","correlation_id":"pipeline-103","data":{"fix":"fix-42","run_id":"103","guard":"golden/alerts/heart-rate-danger"}}
    """
}
