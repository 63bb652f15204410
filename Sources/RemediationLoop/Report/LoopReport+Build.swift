import Events
import LedgerStore
import Projections

extension LoopReport {
    /// The report of a view of the read models: the ratchet of every suite, every skill's
    /// health, the queue with its ages (by `now`), and the regressions, latest first.
    ///
    /// - Throws: ``LedgerError`` or ``LoopError``.
    public static func build(from view: ReadModelView, now: Timestamp, title: String = "remedy: the remediation loop") throws -> LoopReport {
        let end = try view.ledger.treeHead().size
        let position = min(view.asOf ?? end, end)
        let ratchet = try view.rows(RatchetProjection.runs).compactMap { row -> RatchetPoint? in
            guard case .text(let suite) = row[0], case .integer(let at) = row[1], case .text(let run) = row[2] else { return nil }
            return RatchetPoint(suite: suite, runID: run, position: at, guardsTotal: row[3].number, guardsHeld: row[4].number,
                                slips: row[5].number, passRate: row[7].text ?? "", highWater: row[8].number)
        }.sorted { $0.position < $1.position }
        let skills = try RemediationLoop.SkillHealth.read(from: view).map { health in
            SkillHealth(skill: health.skill, status: health.status, rule: health.value("rule").text ?? "", cases: health.integer("cases"),
                        passRate: health.value("pass_rate").text ?? "", trend: health.value("trend").text ?? "",
                        openFailures: health.integer("open_failures"), guards: health.integer("guards"),
                        regressions: health.integer("regressions"))
        }
        let queue = try NextQueue.items(view, now: now).map { item in
            let waited = (try? Timestamp(parsing: item.sinceAt)).map { Int(max(0, now.millisecondsSinceEpoch - $0.millisecondsSinceEpoch)) }
            // Runs completed since the item appeared; a failure appears inside the run that
            // detected it, which completes just after and does not count.
            let completed = ratchet.filter { $0.suite == item.suite && $0.position > item.since }.count
            let detectedInRun = [.regression, .diagnose, .propose].contains(item.kind)
            return QueueItem(action: item.kind.rawValue, subject: item.subject, detail: item.action,
                             ageRuns: detectedInRun ? max(0, completed - 1) : completed,
                             age: waited.map { humanDuration(milliseconds: $0) } ?? "")
        }
        let regressions = try RegressionView.all(in: view).reversed().map { regression in
            Regression(suite: regression.suite, caseKey: regression.case, lastGoodRun: regression.lastGoodRun,
                       lastGoodCommit: regression.lastGoodCommit, firstBadRun: regression.firstBadRun, firstBadCommit: regression.firstBadCommit)
        }
        return LoopReport(title: title, ledgerPosition: position,
                          lastRecordedAt: position > 0 ? try view.ledger.recordedAt(position: position).description : nil,
                          ratchet: ratchet, skills: skills, queue: queue, regressions: regressions)
    }

}
