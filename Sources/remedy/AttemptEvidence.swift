import Events

/// One attempt at a failing case with its evidence, as `case --json` and `next --json` print it.
struct AttemptEvidence: Encodable {
    var attempt: Int
    var status: CaseStatus
    @NullEncoded var message: String?
    @NullEncoded var traceId: String?
    @NullEncoded var expected: String?
    @NullEncoded var expectedSha256: String?
    @NullEncoded var actual: String?
    @NullEncoded var actualSha256: String?
    @NullEncoded var output: String?
    @NullEncoded var outputSha256: String?

    init(_ outcome: CaseOutcomeRecorded) {
        attempt = outcome.attempt
        status = outcome.status
        message = outcome.message
        traceId = outcome.traceID
        expected = outcome.expected
        expectedSha256 = outcome.expectedSHA256
        actual = outcome.actual
        actualSha256 = outcome.actualSHA256
        output = outcome.output
        outputSha256 = outcome.outputSHA256
    }
}
