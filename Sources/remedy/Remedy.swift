import ArgumentParser
import Events
import LedgerStore
import AuditBundle
import PostgresStore
import ReadViews
import RemediationLoop

/// The `remedy` command: an append-only, verifiable ledger of the remediation loop.
@main
struct Remedy: ParsableCommand {
    /// Refuses arguments that are not valid UTF-8 before parsing them: Swift's
    /// `CommandLine.arguments` would silently replace the bad bytes, and the ledger would store
    /// text the caller never sent.
    static func main() {
        for index in 1..<Int(CommandLine.argc) {
            guard let raw = CommandLine.unsafeArgv[index], String(validatingCString: raw) != nil else {
                fail("argument \(index) is not valid UTF-8", .invalidInput)
            }
        }
        // An auditor's script reads verify-bundle's exit code as 0 verified, 1 failed,
        // 2 anything else: a command line it cannot use is 2 there, not 64.
        if CommandLine.argc > 1, String(cString: CommandLine.unsafeArgv[1]!) == VerifyBundle.configuration.commandName {
            do {
                var command = try parseAsRoot(nil)
                try command.run()
            } catch {
                let code = exitCode(for: error)
                if code == .validationFailure {
                    StandardError.write(fullMessage(for: error) + "\n")
                    terminate(.invalidInput)
                }
                exit(withError: error)
            }
            return
        }
        // Scripts ask the version often: answer it before ArgumentParser's first reflection,
        // which costs more than the rest of the process.
        if CommandLine.argc == 2, CommandLine.arguments[1] == "--version" {
            StandardOutput.shared.writeLine(configuration.version)
            StandardOutput.shared.flush()
            return
        }
        // One event per process is how CI appends: read its plain arguments directly.
        if CommandLine.argc > 2, CommandLine.arguments[1] == Append.configuration.commandName,
           let request = Append.direct(CommandLine.arguments.dropFirst(2)) {
            do { try request.run() } catch { exit(withError: error) }
            return
        }
        main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "remedy",
        abstract: "The remediation ledger: an append-only, verifiable record of every eval run, failure, fix and gate decision.",
        discussion: """
        The ledger is one SQLite file: --ledger PATH, else $REMEDY_LEDGER, else .remedy/ledger.db.
        Only `remedy init` (and `remedy demo`, or --init on append and ingest) creates a ledger.
        Exit codes: 0 ok, 1 verification failed, 2 invalid input, 3 wrong expected version,
        4 conflict (event id, fix id, run, origin, key file), 5 ledger unavailable, 6 ledger busy, 7 storage error,
        8 the loop refused the step, 10 gate: review, 11 gate: block, 12 the ratchet slipped, 64 usage.
        """,
        version: "0.1.0",
        subcommands: [
            Init.self, Append.self, EventsCommand.self, Show.self, Status.self, Verify.self, Demo.self,
            KeyCommand.self, CheckpointCommand.self, Prove.self, Export.self, VerifyBundle.self, Import.self, Backup.self, Migrate.self,
            Ingest.self, Diagnose.self, Propose.self, Review.self, Merged.self, Reverted.self, GuardCommand.self, Next.self,
            GateCommand.self, PolicyCommand.self, WhatIf.self, DatasetCommand.self, Alias.self, Quarantine.self,
            Guards.self, Why.self, Ratchet.self, Health.self, Report.self, ProjectionsCommand.self, Diff.self, Regressions.self, Stats.self, CaseHistory.self,
            LoopCommand.self, SkillsCommand.self,
        ]
    )
}

/// The options every command that touches a ledger takes.
struct LedgerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The ledger file (default: $REMEDY_LEDGER, else .remedy/ledger.db).", valueName: "path"))
    var ledger: String?

    @Option(name: .customLong("busy-timeout"), help: ArgumentHelp("How long to wait for another writer, in seconds.", valueName: "seconds"))
    var busyTimeout: Double = LedgerOptions.defaultBusyTimeout

    func validate() throws {
        try Self.check(busyTimeout: busyTimeout)
    }

    /// The default of `--busy-timeout`, in seconds.
    static let defaultBusyTimeout = 60.0

    static func check(busyTimeout: Double) throws {
        guard busyTimeout >= 0, busyTimeout <= 86_400 else {
            throw ValidationError("--busy-timeout must be between 0 and 86400 seconds")
        }
    }

    /// Opens an existing ledger to answer from its read models: for writing when it can be
    /// (so the read models catch up and stay), read-only when the file or its folder is not
    /// writable for this user.
    func openForReadModels() throws -> any EventStore {
        if PostgresLocation.isAddress(LedgerPath.resolve(explicit: ledger).path) { return try openStore(.readWrite) }
        let reader = try open(.readOnly)   // fails clearly for a missing or foreign file
        do { return try open(.readWrite) } catch let error as LedgerError where error.code == .readOnly { return reader }
    }

    /// Opens the ledger these options name, a SQLite file or a PostgreSQL server
    /// (`postgres://`): what commands that work on either store use.
    func openStore(_ mode: Ledger.AccessMode, create: Ledger.Creation = .never) throws -> any EventStore {
        try Self.openStore(ledger, busyTimeout: busyTimeout, mode, create: create)
    }

    /// ``openStore(_:create:)`` for arguments read without ArgumentParser.
    static func openStore(_ ledger: String?, busyTimeout: Double, _ mode: Ledger.AccessMode,
                          create: Ledger.Creation = .never) throws -> any EventStore {
        let named = LedgerPath.resolve(explicit: ledger)
        // A file keeps how it was named (the default path's folder is made by `init`).
        guard PostgresLocation.isAddress(named.path) else { return try open(ledger, busyTimeout: busyTimeout, mode, create: create) }
        return try LedgerAddress(named.path).open(mode, create: create, busyTimeout: busyTimeout)
    }

    /// Opens the ledger these options name; only `create` lets it be made.
    func open(_ mode: Ledger.AccessMode, create: Ledger.Creation = .never) throws -> Ledger {
        try Self.open(ledger, busyTimeout: busyTimeout, mode, create: create)
    }

    /// Opens the ledger `--ledger` and `--busy-timeout` name, for a command whose arguments
    /// were read without ArgumentParser (``Remedy/Append/direct(_:)``).
    static func open(_ ledger: String?, busyTimeout: Double, _ mode: Ledger.AccessMode, create: Ledger.Creation = .never) throws -> Ledger {
        let configuration = LedgerConfiguration(busyTimeoutMilliseconds: Int32((busyTimeout * 1000).rounded()))
        let opened = try Ledger.open(LedgerPath.resolve(explicit: ledger), mode: mode, create: create, configuration: configuration)
        if let note = opened.readOnlyNote { StandardError.line("note: " + note) }
        return opened
    }
}

/// `--as-of POSITION|TIME|run:ID`, for every command that can answer from the past.
struct AsOfOption: ParsableArguments {
    @Option(name: .customLong("as-of"), help: ArgumentHelp("Answer as of a position, an RFC 3339 time, or run:ID.", valueName: "point"))
    var point: String?

    /// The ledger position the option names, or nil for now.
    func position(in ledger: any EventStore) throws -> Int? {
        try point.map { try ReadModels.position(asOf: $0, in: ledger) }
    }

    /// The clock ages and expiries are measured by: as of a position, that event's recording
    /// time, not today's.
    static func clock(at position: Int?, in ledger: any EventStore) throws -> Timestamp {
        try position.map { try ledger.recordedAt(position: $0) } ?? Timestamp.now()
    }
}
