import ArgumentParser
import Events
import ReadViews
import RemediationLoop

// The loop's closed sets as argument types: a bad value is refused while parsing, and each
// option's help lists the words it takes (from `CaseIterable`).
extension Lever: ExpressibleByArgument {}
extension BlastRadius: ExpressibleByArgument {}
extension RunKind: ExpressibleByArgument {}
extension ReviewVerdict: ExpressibleByArgument {}
extension GateDecision: ExpressibleByArgument {}
extension GuardState: ExpressibleByArgument {}
extension HealthStatus: ExpressibleByArgument {}
extension QueueItemKind: ExpressibleByArgument {}
extension PeriodStats.Period: ExpressibleByArgument {}
