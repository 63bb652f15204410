import ArgumentParser
import Events
import LedgerStore
import ReadViews
import RemediationLoop

extension Remedy {
    /// `remedy diagnose`: which lever to pull for a failure.
    struct Diagnose: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "diagnose", abstract: "Record which lever (code, threshold, skill) and target a failure needs.")

        @OptionGroup var options: LedgerOptions
        @Argument(help: "A failure id, or the key of a case failing now.") var failure: String
        @Option(help: "Which lever fixes it.") var lever: Lever
        @Option(help: "The skill name, threshold key or component.") var target: String
        @Option(help: "A trace id or log reference (repeatable).") var evidence: [String] = []
        @Option(help: "How sure, from 0 to 1 (e.g. 0.8).") var confidence: String?
        @Option(help: "Who diagnoses: a person, or agent:NAME.") var by: String
        @Flag(help: "Print the result as JSON.") var json = false

        func run() throws {
            try reportingErrors {
                let diagnosis = try LoopSteps(ledger: try options.openStore(.readWrite))
                    .diagnose(failure, lever: lever, target: target, evidence: evidence, confidence: confidence, by: by)
                printRecorded(json, "diagnosed \(diagnosis.failure): \(diagnosis.lever) \(diagnosis.target)", diagnosis)
            }
        }
    }

    /// `remedy propose`: a fix for one or more failures.
    struct Propose: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "propose", abstract: "Record a fix proposed for one or more failures.")

        @OptionGroup var options: LedgerOptions
        @Argument(help: "The failures the fix addresses (ids or case keys).") var failures: [String]
        @Option(help: "The fix's id, used by the later steps.") var fix: String
        @Option(help: "The change: a PR URL or a commit.") var change: String
        @Option(name: .customLong("blast-radius"), help: "How much the fix can break if it is wrong.") var blastRadius: BlastRadius
        @Flag(help: "The change cannot simply be reverted.") var irreversible = false
        @Option(help: "The lever it pulls (default: the failure's diagnosis).") var lever: Lever?
        @Option(help: "The target (default: the failure's diagnosis).") var target: String?
        @Option(help: "Who proposes: a person, or agent:NAME.") var by: String
        @Flag(help: "Print the result as JSON.") var json = false

        func run() throws {
            try reportingErrors {
                let proposal = try LoopSteps(ledger: try options.openStore(.readWrite)).propose(
                    failures: failures, fix: fix, change: change, blastRadius: blastRadius, reversible: !irreversible,
                    lever: lever, target: target, by: by)
                printRecorded(json, "proposed \(proposal.fix) for \(proposal.failures.joined(separator: ", "))", proposal)
            }
        }
    }

    /// `remedy review`: a person approves or rejects a fix.
    struct Review: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "review", abstract: "Record a person's review of a fix.")

        @OptionGroup var options: LedgerOptions
        @Argument(help: "The fix id.") var fix: String
        @Flag(help: "Approve the fix.") var approve = false
        @Flag(help: "Reject the fix.") var reject = false
        @Option(help: "The reviewer (a person).") var by: String
        @Option(help: "Why.") var comment: String?
        @Flag(help: "Print the result as JSON.") var json = false

        func validate() throws {
            guard approve != reject else { throw ValidationError("pass exactly one of --approve and --reject") }
        }

        func run() throws {
            try reportingErrors {
                let review = try LoopSteps(ledger: try options.openStore(.readWrite)).review(fix: fix, approve: approve, comment: comment, by: by)
                printRecorded(json, "\(review.verdict == .approve ? "approved" : "rejected") \(review.fix)", review)
            }
        }
    }

    /// `remedy merged`: a fix landed.
    struct Merged: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "merged", abstract: "Record that a fix merged (after the gate's auto-merge or a person's approval).")

        @OptionGroup var options: LedgerOptions
        @Argument(help: "The fix id.") var fix: String
        @Option(help: "The merge commit.") var commit: String
        @Option(help: "Who merged.") var by: String?
        @Flag(help: "Print the result as JSON.") var json = false

        func run() throws {
            try reportingErrors {
                let merge = try LoopSteps(ledger: try options.openStore(.readWrite)).merged(fix: fix, commit: commit, by: by)
                printRecorded(json, "merged \(merge.fix) at \(merge.commit)", merge)
            }
        }
    }

    /// `remedy reverted`: a merged fix was taken back.
    struct Reverted: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reverted", abstract: "Record that a merged fix was reverted.")

        @OptionGroup var options: LedgerOptions
        @Argument(help: "The fix id.") var fix: String
        @Option(help: "Why it was reverted.") var reason: String
        @Option(help: "Who reverted it.") var by: String?
        @Flag(help: "Print the result as JSON.") var json = false

        func run() throws {
            try reportingErrors {
                let revert = try LoopSteps(ledger: try options.openStore(.readWrite)).reverted(fix: fix, reason: reason, by: by)
                printRecorded(json, "reverted \(revert.fix)", revert)
            }
        }
    }

    /// `remedy guard retire`: a person retires a regression guard.
    struct GuardCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "guard", abstract: "Manage regression guards.", subcommands: [Retire.self])

        struct Retire: ParsableCommand {
            static let configuration = CommandConfiguration(
            commandName: "retire", abstract: "Retire a regression guard (a person's decision, with a reason).")

            @OptionGroup var options: LedgerOptions
            @Argument(help: "The guarded case key.") var `case`: String
            @Option(help: "The case's suite.") var suite: String
            @Option(help: "Why the guard is retired.") var reason: String
            @Option(help: "Who retires it (a person).") var by: String
            @Flag(help: "Print the result as JSON.") var json = false

            func run() throws {
                try reportingErrors {
                    let retired = try LoopSteps(ledger: try options.openStore(.readWrite))
                        .retireGuard(suite: suite, case: self.case, reason: reason, by: by)
                    printRecorded(json, "retired the guard \(retired.case)", retired)
                }
            }
        }
    }
}

/// Prints what a step recorded: one line for people, the payload for machines.
func printRecorded<T: Encodable>(_ json: Bool, _ line: String, _ payload: T) {
    let output = StandardOutput.shared
    if json, let bytes = try? LoopPayload.encode(payload) {
        output.writeLine(String(decoding: bytes, as: UTF8.self))
    } else {
        output.writeLine(line)
    }
    output.flush()
}
