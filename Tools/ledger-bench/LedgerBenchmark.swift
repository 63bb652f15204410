#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EventGenerator

/// `ledger-bench`: the ledger core's four figures, measured on the release `remedy` binary.
///
/// ```
/// swift build -c release --static-swift-stdlib
/// .build/release/ledger-bench [--events 1000000] [--runs 3] [--appends 41] [--dir /tmp/remedy-bench]
/// ```
///
/// Every figure is the median of several runs of a real `remedy` process, timed from spawn to
/// exit, with the child's peak RSS from wait4(2).
@main
struct LedgerBenchmark {
    static func main() {
        var options = Options(arguments: Array(CommandLine.arguments.dropFirst()))
        if options.ingestEval {
            evalIngestBenchmark(options)
            return
        }
        if options.ingest {
            ingestBenchmark(options)
            return
        }
        if options.projections {
            projectionBenchmark(options)
            return
        }
        if options.trust {
            trustBenchmark(options)
            return
        }
        if let path = options.generateOnly {
            let (bytes, _) = generate(count: options.events, to: path)
            log("wrote \(options.events) events (\(bytes) bytes) to \(path)")
            return
        }
        options.resolveBinaries()
        if options.load {
            postgresLoad(options)
            return
        }
        let dir = options.directory
        mkdir(dir, 0o755)
        let batch = dir + "/events.ndjson"
        log("generating \(options.events) events into \(batch)")
        let (bytes, seconds) = generate(count: options.events, to: batch)
        log("  \(fixed(Double(bytes) / 1e6, 1)) MB, \(bytes / max(1, options.events)) bytes a line, in \(fixed(seconds, 1)) s")

        // 1. One `remedy append` process, start to durable commit, beside sqlite3 doing the same.
        let single = dir + "/single.db"
        removeLedger(single)
        _ = ChildProcess.measure([options.remedy, "append", "--init", "--ledger", single, "--stream", "warm-1", "--type", "A", "--data", "{}"])
        let floorDB = dir + "/floor.db"
        removeLedger(floorDB)
        _ = ChildProcess.measure([options.sqlite3, floorDB, "PRAGMA journal_mode=WAL; CREATE TABLE events (position INTEGER PRIMARY KEY, event_id TEXT UNIQUE, stream TEXT, stream_version INTEGER, body BLOB, UNIQUE (stream, stream_version));"])
        var appendTimes: [Double] = [], floorTimes: [Double] = []
        // An event of the team's own type: what the store costs (the loop's own types are
        // checked by the loop's rules, as the commands that record them are).
        let payload = #"{"case":"golden/alerts/heart-rate-danger","status":"fail","score":"0.41"}"#
        for n in 0..<options.appends {
            let remedy = ChildProcess.measure([options.remedy, "append", "--ledger", single, "--stream", "deploy-\(n % 5)", "--type", "DeploymentRecorded", "--data", payload])
            check(remedy, "remedy append")
            appendTimes.append(remedy.seconds)
            let floor = ChildProcess.measure([options.sqlite3, "-cmd", "PRAGMA synchronous=FULL", floorDB,
                                              "INSERT INTO events (event_id, stream, stream_version, body) VALUES (hex(randomblob(16)), 'fix-\(n % 5)', \(n / 5 + 1), '\(payload)');"])
            check(floor, "sqlite3")
            floorTimes.append(floor.seconds)
        }

        // 2-4. The bulk figures, each on a fresh ledger per run, each beside the sqlite3 shell
        // inserting the same batch into an event-shaped table (the reference).
        var appendRuns: [Measurement] = [], readRuns: [Measurement] = [], verifyRuns: [Measurement] = [], shellRuns: [Measurement] = []
        var storeFloorRuns: [Measurement] = []
        let bulk = dir + "/bulk.db"
        for run in 1...options.runs {
            removeLedger(floorDB)
            log("run \(run)/\(options.runs): sqlite3 shell bulk insert (reference)")
            let shell = shellBulkInsert(batch, into: floorDB, options)
            check(shell, "sqlite3 bulk insert")
            shellRuns.append(shell)
            removeLedger(bulk)
            log("run \(run)/\(options.runs): append --ndjson")
            let append = ChildProcess.measure([options.remedy, "append", "--init", "--ledger", bulk, "--ndjson", batch])
            check(append, "remedy append --ndjson")
            appendRuns.append(append)
            log("run \(run)/\(options.runs): sqlite3 shell inserting the ledger's own rows (the store's floor)")
            storeFloorRuns.append(storeFloor(of: bulk, options))
            log("run \(run)/\(options.runs): events > /dev/null")
            let read = ChildProcess.measure([options.remedy, "events", "--ledger", bulk])
            check(read, "remedy events")
            readRuns.append(read)
            log("run \(run)/\(options.runs): verify")
            let verify = ChildProcess.measure([options.remedy, "verify", "--ledger", bulk])
            check(verify, "remedy verify")
            verifyRuns.append(verify)
        }

        let n = Double(options.events)
        print(cpuModel())
        print("remedy ledger benchmark: \(options.events) events (\(bytes / options.events) bytes a line), median of \(options.runs) runs; single appends: median of \(options.appends)")
        print("figure".padding(44) + " " + "median".leftPadding(14) + " " + "target".leftPadding(12) + " " + "peak RSS".leftPadding(10))
        row("remedy append, one process to durable commit", fixed(median(appendTimes) * 1000, 2) + " ms", "<= 6 ms", nil)
        row("sqlite3 appending one row (the floor)", fixed(median(floorTimes) * 1000, 2) + " ms", "", nil)
        row("  remedy append / sqlite3", fixed(median(appendTimes) / median(floorTimes), 2) + "x", "<= 1.5x", nil)
        row("remedy append --ndjson", rate(n, appendRuns), ">= 100000/s", peak(appendRuns))
        row("sqlite3 shell, the same batch (reference)", rate(n, shellRuns), "", peak(shellRuns))
        row("  remedy append --ndjson / sqlite3 shell", fixed(median(shellRuns.map(\.seconds)) / median(appendRuns.map(\.seconds)), 2) + "x", ">= 2x", nil)
        row("sqlite3 inserting remedy's rows (store floor)", rate(n, storeFloorRuns), "", peak(storeFloorRuns))
        row("  store floor / sqlite3 shell", fixed(median(shellRuns.map(\.seconds)) / median(storeFloorRuns.map(\.seconds)), 2) + "x", "", nil)
        row("remedy events > /dev/null", rate(n, readRuns), ">= 500000/s", peak(readRuns))
        row("remedy verify", rate(n, verifyRuns), ">= 500000/s", peak(verifyRuns))
        removeLedger(bulk)
        removeLedger(single)
        removeLedger(floorDB)
        unlink(batch)
    }

    /// Ingest of a generated JUnit report: MB/s, cases/s and peak RSS of `remedy ingest`.
    static func ingestBenchmark(_ options: Options) {
        var options = options
        options.resolveBinaries()
        mkdir(options.directory, 0o755)
        let report = options.directory + "/junit.xml"
        guard let file = fopen(report, "w") else { log("cannot write \(report)"); exit(1) }
        var generator = JUnitReportGenerator()
        var bytes = 0
        generator.generate(cases: options.cases) { piece in
            var piece = piece
            piece.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, file) }
            bytes += piece.utf8.count
        }
        fclose(file)
        log("generated \(options.cases) cases, \(fixed(Double(bytes) / 1e6, 1)) MB, in \(report)")
        var runs: [Measurement] = []
        let ledgerFile = options.directory + "/ingest.db"
        for run in 1...options.runs {
            // With --postgres, each run into a new schema of that database.
            let ledger = options.postgres.map { "\($0)?schema=ingest_\(getpid())_\(run)" } ?? ledgerFile
            removeLedger(ledgerFile)
            log("run \(run)/\(options.runs): ingest into \(ledger)")
            let measurement = ChildProcess.measure([options.remedy, "ingest", "--init", report, "--suite", "bench", "--run", "1", "--ledger", ledger])
            check(measurement, "remedy ingest")
            runs.append(measurement)
            if let server = options.postgres { dropSchema(server: server, schema: "ingest_\(getpid())_\(run)") }
        }
        let ledger = ledgerFile
        let seconds = median(runs.map(\.seconds))
        print(cpuModel())
        print("remedy ingest benchmark\(options.postgres == nil ? "" : " on PostgreSQL"): a generated JUnit report of \(fixed(Double(bytes) / 1e6, 1)) MB, \(options.cases) cases; median of \(options.runs) runs")
        print("figure".padding(44) + " " + "median".leftPadding(14) + " " + "target".leftPadding(12) + " " + "peak RSS".leftPadding(10))
        row("remedy ingest, MB/s", fixed(Double(bytes) / 1e6 / seconds, 1) + " MB/s", ">= 50 MB/s", peak(runs))
        row("remedy ingest, cases/s", String(Int((Double(options.cases) / seconds).rounded())) + "/s", "", nil)
        row("remedy ingest, wall time", fixed(seconds, 2) + " s", "", nil)
        removeLedger(ledger)
        if !options.keep { unlink(report) }
    }

    /// Ingest of a generated inspect_ai `.eval` log (``EvalLogGenerator``): MB/s of the file
    /// and peak RSS of `remedy ingest`, beside `unzip -p` inflating every member (the reference).
    static func evalIngestBenchmark(_ options: Options) {
        var options = options
        options.resolveBinaries()
        mkdir(options.directory, 0o755)
        let report = options.directory + "/bench.eval"
        var generator = EvalLogGenerator()
        let bytes = generator.write(samples: options.samples, to: report)
        log("generated \(options.samples) samples, \(fixed(Double(bytes) / 1e6, 1)) MB, in \(report)")
        var runs: [Measurement] = [], references: [Measurement] = []
        let ledger = options.directory + "/ingest-eval.db"
        for run in 1...options.runs {
            removeLedger(ledger)
            log("run \(run)/\(options.runs): ingest, then unzip -p")
            let measurement = ChildProcess.measure([options.remedy, "ingest", "--init", report, "--suite", "bench", "--run", "1", "--ledger", ledger])
            check(measurement, "remedy ingest")
            runs.append(measurement)
            let reference = ChildProcess.measure([options.unzip, "-p", report])
            check(reference, "unzip -p")
            references.append(reference)
        }
        let seconds = median(runs.map(\.seconds)), reference = median(references.map(\.seconds))
        print(cpuModel())
        print("remedy ingest benchmark: a generated inspect_ai .eval log of \(fixed(Double(bytes) / 1e6, 1)) MB, \(options.samples) samples; median of \(options.runs) runs")
        print("figure".padding(44) + " " + "median".leftPadding(14) + " " + "target".leftPadding(12) + " " + "peak RSS".leftPadding(10))
        row("remedy ingest .eval, MB/s", fixed(Double(bytes) / 1e6 / seconds, 1) + " MB/s", ">= 40 MB/s", peak(runs))
        row("unzip -p (reference), MB/s", fixed(Double(bytes) / 1e6 / reference, 1) + " MB/s", "", peak(references))
        row("  remedy ingest / unzip -p, time", fixed(seconds / reference, 2) + "x", "", nil)
        row("remedy ingest .eval, samples/s", String(Int((Double(options.samples) / seconds).rounded())) + "/s", "", nil)
        removeLedger(ledger)
        if !options.keep { unlink(report) }
    }

    /// Read models over a generated history: rebuild, a query on a caught-up ledger, and the
    /// catch-up after new events.
    static func projectionBenchmark(_ options: Options) {
        var options = options
        options.resolveBinaries()
        mkdir(options.directory, 0o755)
        let dir = options.directory
        let history = dir + "/history.ndjson", ledger = dir + "/projections.db"
        var generator = EventGenerator()
        guard let file = fopen(history, "w") else { log("cannot write \(history)"); exit(1) }
        // As many events as asked, then the rest of the run in progress: `remedy ingest` writes
        // whole runs, so a real ledger never ends inside one.
        var written = 0
        while written < options.events || !generator.isBetweenRuns {
            var line = generator.next() + "\n"
            line.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, file) }
            written += 1
        }
        fclose(file)
        removeLedger(ledger)
        log("appending \(options.events) generated events")
        check(ChildProcess.measure([options.remedy, "append", "--init", "--ledger", ledger, "--ndjson", history]), "remedy append")
        log("the sqlite3 shell's references")
        let references = (0..<options.runs).map { _ in shellReferences(ledger, options) }
        let insertReference = median(references.map(\.insert.seconds)), readReference = median(references.map(\.read.seconds))
        var rebuilds: [Measurement] = []
        for run in 1...options.runs {
            log("run \(run)/\(options.runs): projections rebuild")
            let rebuild = ChildProcess.measure([options.remedy, "projections", "rebuild", "--ledger", ledger])
            check(rebuild, "remedy projections rebuild")
            rebuilds.append(rebuild)
        }
        /// The median of 9 runs of a query on the caught-up ledger.
        func query(_ arguments: [String]) -> Double {
            var times: [Double] = []
            for _ in 0..<9 {
                let measured = ChildProcess.measure([options.remedy] + arguments + ["--ledger", ledger])
                check(measured, "remedy \(arguments.joined(separator: " "))")
                times.append(measured.seconds)
            }
            return median(times)
        }
        log("queries on the caught-up ledger")
        let guards = query(["guards", "--list"]), health = query(["health"]), next = query(["next"])
        // Catching up after one new run: the first query after the append folds its events
        // into every projection; the same query on a caught-up ledger is subtracted.
        var catchUps: [Double] = []
        for run in 0..<options.runs {
            let more = dir + "/more-\(run).ndjson"
            guard let file = fopen(more, "w") else { log("cannot write \(more)"); exit(1) }
            for _ in 0..<1_000 {
                var line = generator.next() + "\n"
                line.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, file) }
            }
            fclose(file)
            check(ChildProcess.measure([options.remedy, "append", "--ledger", ledger, "--ndjson", more]), "remedy append")
            unlink(more)
            let first = ChildProcess.measure([options.remedy, "guards", "--list", "--ledger", ledger])
            check(first, "remedy guards --list")
            catchUps.append(first.seconds)
        }
        // A CI job recording a run and the loop's steps, after the generated history (whose
        // failure ids would otherwise collide with the ones these detect).
        log("ingest into the large ledger")
        let report = dir + "/report.xml"
        guard let reportFile = fopen(report, "w") else { log("cannot write \(report)"); exit(1) }
        var reports = JUnitReportGenerator()
        reports.generate(cases: 1_000) { piece in
            var piece = piece
            piece.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, reportFile) }
        }
        fclose(reportFile)
        // The loop's working set is built once, by the first recording command after an
        // upgrade (here, a ledger appended with `append --ndjson`, which leaves it to them).
        let workingSet = ChildProcess.measure([options.remedy, "projections", "rebuild", "loop", "--ledger", ledger])
        check(workingSet, "remedy projections rebuild loop")
        var ingests: [Double] = []
        let summary = dir + "/ingest.json"
        for run in 0..<options.runs {
            let measured = ChildProcess.measure([options.remedy, "ingest", report, "--suite", "bench", "--run", "\(run)", "--json", "--ledger", ledger],
                                                stdout: run == 0 ? summary : "/dev/null")
            check(measured, "remedy ingest")
            ingests.append(measured.seconds)
        }
        unlink(report)
        // The loop's steps on the failures the first ingest detected, one fix each.
        let detected = failureIDs(in: summary)
        unlink(summary)
        var steps: [String: [Double]] = [:]
        let stepNames = ["diagnose", "propose", "review", "gate", "merged"]
        for (round, failure) in detected.prefix(max(options.runs, 5)).enumerated() {
            let fix = "bench-fix-\(round)"
            for (name, arguments) in zip(stepNames, [
                ["diagnose", failure, "--lever", "code", "--target", "bench", "--by", "agent:bench"],
                ["propose", failure, "--fix", fix, "--change", "bench", "--blast-radius", "low", "--by", "agent:bench"],
                ["review", fix, "--approve", "--by", "dana"], ["gate", fix], ["merged", fix, "--commit", "abc\(round)"],
            ]) {
                let measured = ChildProcess.measure([options.remedy] + arguments + ["--ledger", ledger])
                // The gate's exit code is its decision: 0 auto-merge, 10 review, 11 block.
                check(measured, "remedy \(name)", exitCodes: name == "gate" ? [0, 10, 11] : [0])
                steps[name, default: []].append(measured.seconds)
            }
        }
        let catchUp = max(0, median(catchUps) - guards)
        log("time travel")
        // Half-way, just before a snapshot (every 100,000 events): the farthest point from one.
        let middle = String(options.events / 2 - 1)
        var asOf: [(String, Double, Int)] = []
        for command in [["guards", "--list"], ["health"], ["next"], ["ratchet", "--suite", "golden"], ["case", "golden.alerts-0::case-0-0"]] {
            let measured = ChildProcess.measure([options.remedy] + command + ["--as-of", middle, "--ledger", ledger])
            check(measured, "remedy \(command[0]) --as-of")
            asOf.append((command.joined(separator: " "), measured.seconds, measured.peakRSSBytes))
        }
        print(cpuModel())
        print("remedy read models: \(written) generated events, six projections; rebuild median of \(options.runs) runs")
        print("figure".padding(44) + " " + "median".leftPadding(14) + " " + "target".leftPadding(12) + " " + "peak RSS".leftPadding(10))
        let events = Double(written)
        row("sqlite3: INSERT … SELECT of the events (ref)", String(Int((events / insertReference).rounded())) + "/s", "", nil)
        row("sqlite3: every event read in order (ref)", String(Int((events / readReference).rounded())) + "/s", "", nil)
        row("projections rebuild (all)", rate(Double(options.events), rebuilds), ">= 250000/s", peak(rebuilds))
        row("  rebuild / sqlite3 INSERT … SELECT", fixed(insertReference / median(rebuilds.map(\.seconds)), 2) + "x", "", nil)
        row("remedy guards --list, caught up", fixed(guards * 1000, 1) + " ms", "<= 50 ms", nil)
        row("remedy health, caught up", fixed(health * 1000, 1) + " ms", "<= 50 ms", nil)
        row("remedy next, caught up", fixed(next * 1000, 1) + " ms", "<= 50 ms", nil)
        row("catch-up after 1,000 new events", fixed(catchUp * 1000, 1) + " ms", "<= 50 ms", nil)
        row("  (first guards --list after them)", fixed(median(catchUps) * 1000, 1) + " ms", "", nil)
        row("remedy ingest, a 1,000-case report", fixed(median(ingests) * 1000, 0) + " ms", "<= 150 ms", nil)
        for name in stepNames where steps[name] != nil {
            row("remedy \(name)", fixed(median(steps[name]!) * 1000, 1) + " ms", "<= 30 ms", nil)
        }
        row("  (building the loop's working set, once)", fixed(workingSet.seconds * 1000, 0) + " ms", "", workingSet.peakRSSBytes)
        for (command, seconds, rss) in asOf {
            row("remedy \(command) --as-of \(middle)", fixed(seconds * 1000, 0) + " ms", "<= 1000 ms", rss)
        }
        if options.keep {
            log("kept \(ledger)")
        } else {
            removeLedger(ledger)
        }
        unlink(history)
    }

    /// The sqlite3 shell's bulk insert of an NDJSON batch, the reference for `append --ndjson`:
    /// the lines imported, then inserted in one transaction into an event-shaped table (the
    /// id, stream, stream version and type read from each line's JSON, both unique keys
    /// checked), WAL, synchronous FULL.
    static func shellBulkInsert(_ batch: String, into database: String, _ options: Options) -> Measurement {
        let script = """
            PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
            CREATE TABLE events (position INTEGER PRIMARY KEY, event_id TEXT UNIQUE, stream TEXT NOT NULL, stream_version INTEGER NOT NULL,
                                 type TEXT NOT NULL, body BLOB NOT NULL, UNIQUE (stream, stream_version));
            CREATE TEMP TABLE lines (line TEXT);
            .mode ascii
            .separator "\\037" "\\n"
            .import '\(batch)' lines
            BEGIN;
            INSERT INTO events (event_id, stream, stream_version, type, body)
              SELECT coalesce(json_extract(line, '$.id'), hex(randomblob(16))), json_extract(line, '$.stream'),
                     row_number() OVER (PARTITION BY json_extract(line, '$.stream') ORDER BY rowid), json_extract(line, '$.type'), line
              FROM lines ORDER BY rowid;
            COMMIT;
            """
        return measureShell(script, on: database, options)
    }

    /// The sqlite3 shell running `script` on `database`, read from a file beside it (as its
    /// standard input: dot-commands and all), timed.
    static func measureShell(_ script: String, on database: String, _ options: Options) -> Measurement {
        let path = database + ".sql"
        guard let file = fopen(path, "w") else { log("cannot write \(path)"); exit(1) }
        fputs(script, file)
        fclose(file)
        defer { unlink(path) }
        return ChildProcess.measure([options.sqlite3, database], stdin: path)
    }

    /// What the store alone costs for a batch: the sqlite3 shell inserting the rows `remedy
    /// append --ndjson` wrote (`INSERT … SELECT` from that ledger, in position order, in one
    /// transaction) into a new file with the ledger's own table, indexes and triggers, page
    /// size, WAL and synchronous FULL. No JSON, hashing or rules: no append can be faster.
    static func storeFloor(of ledger: String, _ options: Options) -> Measurement {
        let floor = options.directory + "/store-floor.db"
        removeLedger(floor)
        defer { removeLedger(floor) }
        let schema = ChildProcess.capture([options.sqlite3, ledger,
                                           "SELECT sql || ';' FROM sqlite_master WHERE tbl_name = 'events' AND sql IS NOT NULL ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, name"])
        let pageSize = ChildProcess.capture([options.sqlite3, ledger, "PRAGMA page_size"]).filter(\.isNumber)
        guard schema.contains("CREATE TABLE"), !pageSize.isEmpty else { log("cannot read the schema of \(ledger)"); exit(1) }
        let measurement = measureShell("""
            PRAGMA page_size=\(pageSize); PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;
            \(schema)
            ATTACH '\(readOnlyURI(ledger))' AS l;
            BEGIN;
            INSERT INTO main.events SELECT * FROM l.events ORDER BY position;
            COMMIT;

            """, on: floor, options)
        check(measurement, "sqlite3 inserting the ledger's rows")
        return measurement
    }

    /// A ledger as the shell attaches it for a reference: read-only (`mode=ro`), so a
    /// measurement never writes the ledger (a read-write attach makes the shell, as the last
    /// connection to close, checkpoint the ledger and delete its `-wal`).
    static func readOnlyURI(_ path: String) -> String {
        var escaped = ""
        for character in path {
            switch character {
            case "%": escaped += "%25"
            case "?": escaped += "%3F"
            case "#": escaped += "%23"
            case "'": escaped += "''"
            default: escaped.append(character)
            }
        }
        return "file:" + escaped + "?mode=ro"
    }

    /// The sqlite3 shell's references over a ledger's events, same run: a bulk `INSERT …
    /// SELECT` of them into an event-shaped table, and a full read of them in order.
    static func shellReferences(_ ledger: String, _ options: Options) -> (insert: Measurement, read: Measurement) {
        let reference = options.directory + "/reference.db"
        removeLedger(reference)
        defer { removeLedger(reference) }
        let insert = ChildProcess.measure([options.sqlite3, reference, """
            PRAGMA journal_mode=WAL; ATTACH '\(readOnlyURI(ledger))' AS l;
            CREATE TABLE events (position INTEGER PRIMARY KEY, event_id TEXT UNIQUE, stream TEXT, stream_version INTEGER, type TEXT,
                                 recorded_at TEXT, body BLOB, UNIQUE (stream, stream_version));
            INSERT INTO events SELECT position, event_id, stream, stream_version, type, recorded_at, body FROM l.events;
            """])
        check(insert, "sqlite3 INSERT … SELECT")
        let read = ChildProcess.measure([options.sqlite3, reference, "SELECT count(*), sum(length(body)) FROM (SELECT body FROM events ORDER BY position);"])
        check(read, "sqlite3 ordered read")
        return (insert, read)
    }

    /// The failure ids (`failure-N`) an `ingest --json` summary names, in order, once each.
    static func failureIDs(in path: String) -> [String] {
        guard let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        var ids: [String] = [], seen = Set<String>()
        let text = String(decoding: bytes, as: UTF8.self)
        for piece in text.split(separator: "\"") where piece.hasPrefix("failure-") && piece.dropFirst(8).allSatisfy(\.isNumber) {
            if seen.insert(String(piece)).inserted { ids.append(String(piece)) }
        }
        return ids
    }

    /// The machine's CPU, as /proc/cpuinfo names it: figures differ between machines.
    static func cpuModel() -> String {
        guard let file = fopen("/proc/cpuinfo", "r") else { return "cpu: unknown" }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if text.hasPrefix("model name") {
                return "cpu: " + text.split(separator: ":", maxSplits: 1).last!.trimmingSpaces() + ", \(sysconf(Int32(_SC_NPROCESSORS_ONLN))) cores"
            }
        }
        return "cpu: unknown"
    }

    static func row(_ name: String, _ value: String, _ target: String, _ rss: Int?) {
        let rssText = rss.map { fixed(Double($0) / 1_048_576, 1) + " MB" } ?? ""
        print(name.padding(44) + " " + value.leftPadding(14) + " " + target.leftPadding(12) + " " + rssText.leftPadding(10))
    }

    static func rate(_ events: Double, _ runs: [Measurement]) -> String {
        String(Int((events / median(runs.map(\.seconds))).rounded())) + "/s"
    }

    /// `value` with `digits` decimals, without Foundation.
    static func fixed(_ value: Double, _ digits: Int) -> String {
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale), fraction = abs(scaled % Int(scale))
        guard digits > 0 else { return String(whole) }
        let text = String(fraction)
        return "\(whole).\(String(repeating: "0", count: digits - text.count))\(text)"
    }

    static func peak(_ runs: [Measurement]) -> Int { runs.map(\.peakRSSBytes).max() ?? 0 }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    /// Stops the benchmark unless the process exited normally with one of `exitCodes`.
    static func check(_ measurement: Measurement, _ what: String, exitCodes: Set<Int32> = [0]) {
        if measurement.status & 0x7f != 0 || !exitCodes.contains(measurement.status >> 8) {
            log("\(what) failed with status \(measurement.status)")
            exit(1)
        }
    }

    static func generate(count: Int, to path: String) -> (Int, Double) {
        let start = ChildProcess.monotonicSeconds()
        guard let file = fopen(path, "w") else { log("cannot write \(path)"); exit(1) }
        defer { fclose(file) }
        var generator = EventGenerator()
        var bytes = 0
        for _ in 0..<count {
            var line = generator.next() + "\n"
            line.withUTF8 { _ = fwrite($0.baseAddress, 1, $0.count, file) }
            bytes += line.utf8.count
        }
        return (bytes, ChildProcess.monotonicSeconds() - start)
    }

    static func removeLedger(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
    }

    static func log(_ text: String) {
        let line = text + "\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}

struct Options {
    var events = 1_000_000
    var runs = 3
    var appends = 41
    var directory = "/tmp/remedy-bench"
    var remedy = ""
    var sqlite3 = "/usr/bin/sqlite3"
    /// Only write the generated events to this file (for profiling or other tools).
    var generateOnly: String?
    /// Measure ingest of a generated JUnit report instead of the ledger figures.
    var ingest = false
    /// Measure the read models over a generated history instead.
    var projections = false
    /// Measure checkpoints, proofs, export and verify-bundle instead.
    var trust = false
    var gzip = "/bin/gzip"
    /// Keep the generated report (for profiling).
    var keep = false
    var cases = 70_000
    /// Measure ingest of a generated inspect_ai `.eval` log of this many samples instead.
    var ingestEval = false
    var samples = 20_000
    var unzip = "/usr/bin/unzip"
    /// Load the PostgreSQL ledger with concurrent writers (``LedgerBenchmark/postgresLoad(_:)``).
    var load = false
    /// The PostgreSQL database the load runs in (a new schema per run).
    var postgres: String?
    var writers = [1, 16, 64, 256]
    var loadAppends = 2_000
    var bulkEvents = 1_000_000
    var pgbench = "/usr/bin/pgbench"

    init(arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--events": events = Int(iterator.next() ?? "") ?? events
            case "--runs": runs = Int(iterator.next() ?? "") ?? runs
            case "--appends": appends = Int(iterator.next() ?? "") ?? appends
            case "--dir": directory = iterator.next() ?? directory
            case "--remedy": remedy = iterator.next() ?? remedy
            case "--sqlite3": sqlite3 = iterator.next() ?? sqlite3
            case "--generate": generateOnly = iterator.next()
            case "--ingest": ingest = true
            case "--projections": projections = true
            case "--trust": trust = true
            case "--gzip": gzip = iterator.next() ?? gzip
            case "--keep": keep = true
            case "--cases": cases = Int(iterator.next() ?? "") ?? cases
            case "--ingest-eval": ingestEval = true
            case "--samples": samples = min(65_000, Int(iterator.next() ?? "") ?? samples)
            case "--unzip": unzip = iterator.next() ?? unzip
            case "--load": load = true
            case "--postgres": postgres = iterator.next()
            case "--writers": writers = (iterator.next() ?? "").split(separator: ",").compactMap { Int($0) }
            case "--load-appends": loadAppends = Int(iterator.next() ?? "") ?? loadAppends
            case "--bulk-events": bulkEvents = Int(iterator.next() ?? "") ?? bulkEvents
            case "--pgbench": pgbench = iterator.next() ?? pgbench
            default:
                LedgerBenchmark.log("usage: ledger-bench [--events N] [--runs N] [--appends N] [--dir DIR] [--remedy PATH] [--sqlite3 PATH] | [--events N] --generate FILE | --ingest [--cases N] [--runs N] [--postgres ADDRESS] | --ingest-eval [--samples N] [--runs N] [--unzip PATH] | --projections [--events N] [--runs N] | --trust [--events N] [--runs N] [--gzip PATH] | --load --postgres ADDRESS [--writers 1,16,64,256] [--load-appends N] [--bulk-events N] [--pgbench PATH]")
                exit(64)
            }
        }
    }

    /// The `remedy` built beside this tool, unless --remedy names one.
    mutating func resolveBinaries() {
        if remedy.isEmpty {
            var buffer = [CChar](repeating: 0, count: 4096)
            let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
            let me = count > 0 ? String(cString: buffer) : CommandLine.arguments[0]
            remedy = String(me[..<(me.lastIndex(of: "/") ?? me.startIndex)]) + "/remedy"
        }
        for binary in [remedy, sqlite3] where access(binary, X_OK) != 0 {
            LedgerBenchmark.log("cannot run \(binary): build remedy first (swift build -c release --static-swift-stdlib) and install sqlite3")
            exit(1)
        }
    }
}

extension Substring {
    func trimmingSpaces() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\n" }).reversed())
    }
}

extension String {
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
    func leftPadding(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
