import ReadViews
/// The loop's state as one report: the ratchet, skill health, the queue and regressions.
///
/// A report is a plain value, already folded from the ledger and already formatted where a
/// number's precision matters (pass rates arrive as `"0.8000"`), so that the renderers
/// (``html`` and ``markdown``) are pure functions of it: the same report renders the same
/// bytes, whichever machine or process renders it.
///
/// ```swift
/// let report = LoopReport(title: "golden", ledgerPosition: 412, lastRecordedAt: "2026-11-02T09:14:00Z",
///                         ratchet: points, skills: skills, queue: queue, regressions: regressions)
/// let page = report.html       // one self-contained file, safe to open offline
/// let summary = report.markdown  // for $GITHUB_STEP_SUMMARY
/// ```
public struct LoopReport: Sendable, Equatable {
    /// One run of one suite on the ratchet: how many guards it had to keep, and kept.
    public struct RatchetPoint: Sendable, Equatable {
        public var suite: String
        public var runID: String
        /// The ledger position where the run completed.
        public var position: Int
        /// Guards standing when the run completed.
        public var guardsTotal: Int
        /// Guards the run passed.
        public var guardsHeld: Int
        /// Guards the run failed: each one is a regression.
        public var slips: Int
        /// The run's pass rate as `"0.8000"`; nil when nothing ran.
        public var passRate: String?
        /// The most guards the suite has ever held, up to this run.
        public var highWater: Int

        public init(suite: String, runID: String, position: Int, guardsTotal: Int, guardsHeld: Int,
                    slips: Int, passRate: String?, highWater: Int) {
            self.suite = suite
            self.runID = runID
            self.position = position
            self.guardsTotal = guardsTotal
            self.guardsHeld = guardsHeld
            self.slips = slips
            self.passRate = passRate
            self.highWater = highWater
        }
    }

    public var title: String
    /// The report answers as of this ledger position.
    public var ledgerPosition: Int
    /// The RFC 3339 time of the event at ``ledgerPosition``; `nil` for an empty ledger.
    public var lastRecordedAt: String?
    /// Every recorded run in run order; several suites may interleave.
    public var ratchet: [RatchetPoint]
    /// The read models' own views: what `remedy health`, `remedy next` and `remedy regressions` show.
    public var skills: [SkillHealth]
    public var queue: [QueueItem]
    /// Latest first.
    public var regressions: [RegressionView]

    public init(title: String, ledgerPosition: Int, lastRecordedAt: String?, ratchet: [RatchetPoint],
                skills: [SkillHealth], queue: [QueueItem], regressions: [RegressionView]) {
        self.title = title
        self.ledgerPosition = ledgerPosition
        self.lastRecordedAt = lastRecordedAt
        self.ratchet = ratchet
        self.skills = skills
        self.queue = queue
        self.regressions = regressions
    }
}

extension LoopReport {
    /// The ratchet's runs grouped by suite, suites in order of their first run, runs in run order.
    ///
    /// Both renderers draw one chart or table per suite; grouping here keeps their order the
    /// same and independent of hashing (a `Dictionary`'s order changes from process to process).
    var ratchetBySuite: [(suite: String, points: [RatchetPoint])] {
        var groups: [(suite: String, points: [RatchetPoint])] = []
        var index: [String: Int] = [:]
        for point in ratchet {
            if let at = index[point.suite] {
                groups[at].points.append(point)
            } else {
                index[point.suite] = groups.count
                groups.append((point.suite, [point]))
            }
        }
        return groups
    }
}
