import Events
import LedgerStore
import Projections
import ReadViews

extension LoopReport {
    /// The report of a view of the read models: the ratchet of every suite, every skill's
    /// health, the queue with its ages (by `now`), and the regressions, latest first.
    ///
    /// - Throws: ``LedgerError`` or ``LoopError``.
    public static func build(from view: ReadModelView, now: Timestamp, title: String = "remedy: the remediation loop") throws -> LoopReport {
        let end = try view.ledger.treeHead().size
        let position = min(view.asOf ?? end, end)
        let ratchet = try view.rows(RatchetRunRow.self).map { row in
            RatchetPoint(suite: row.suite, runID: row.runID, position: row.position, guardsTotal: row.guardsTotal, guardsHeld: row.guardsHeld,
                         slips: row.slips, passRate: row.passRate, highWater: row.highWater)
        }.sorted { $0.position < $1.position }
        return LoopReport(title: title, ledgerPosition: position,
                          lastRecordedAt: position > 0 ? try view.ledger.recordedAt(position: position).description : nil,
                          ratchet: ratchet, skills: try SkillHealth.read(from: view), queue: try NextQueue.items(view, now: now),
                          regressions: try RegressionView.all(in: view).reversed())
    }
}
