#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Events

/// The PostgreSQL ledger under load, on a loopback server: W writer processes at once, each
/// appending events one process at a time and ingesting a report, while a follower prints
/// every commit; one writer killed with SIGKILL in the middle of a big batch. Afterwards every
/// acknowledged event must be stored exactly once, positions and each stream's versions must
/// run without a gap, the follower must have seen every position in order, nothing of the
/// killed batch may be visible, and `remedy verify` must pass. Beside each run, `pgbench`'s
/// TPS for a one-row insert transaction on the same server with as many clients.
///
///     ledger-bench --load --postgres postgres://remedy@127.0.0.1:5432/db [--writers 1,16,64,256] [--load-appends N] [--bulk-events N]
///
/// Bounded: each run appends about `--load-appends` events in all (default 2,000), at least 3 a
/// writer; the kill happens once, in the run with the most writers. Then the latency of
/// `events --follow`, and a bulk append of `--bulk-events` generated events (default
/// 1,000,000; 0 skips it) with a rebuild of the read models over them.
extension LedgerBenchmark {
    static func postgresLoad(_ options: Options) {
        guard let server = options.postgres else { log("--load needs --postgres ADDRESS (Tools/postgres-server/postgres-server.sh start DIR prints one)"); exit(64) }
        let dir = options.directory
        mkdir(dir, 0o755)
        let report = dir + "/load-report.xml"
        writeReport(report)
        var results: [(writers: Int, line: String, ok: Bool)] = []
        let counts = options.writers.sorted()
        for writers in counts {
            let schema = "load_\(writers)_\(getpid())"
            let ledger = server + "?schema=\(schema)"
            log("\(writers) writers: ledger \(ledger)")
            check(ChildProcess.measure([options.remedy, "init", "--ledger", ledger, "--origin", "load.example/\(writers)"]), "remedy init")
            let follower = dir + "/follow-\(writers).ndjson"
            let following = ChildProcess.start([options.remedy, "events", "--follow", "--ledger", ledger], stdout: follower)

            let perWriter = max(3, options.loadAppends / writers)
            let start = ChildProcess.monotonicSeconds()
            var pids: [pid_t] = []
            for writer in 0..<writers {
                let out = dir + "/writer-\(writers)-\(writer).out"
                // One `remedy append` process per event, as CI appends; then one ingest.
                let script = """
                    for k in $(seq 1 \(perWriter)); do
                      "$0" append --ledger "$1" --stream load-\(writer % 7) --type LoadTested --id "$(printf '01936a52-%04x-7000-8000-%012x' \(writer) "$k")" --data "{\\"writer\\":\(writer),\\"n\\":$k}" || echo "failed $k"
                    done
                    "$0" ingest "$2" --ledger "$1" --suite load-\(writer) --run 1 >/dev/null || echo "failed ingest"
                    """
                pids.append(ChildProcess.start(["/bin/sh", "-c", script, options.remedy, ledger, report], stdout: out))
            }
            var killedBatch = false
            if writers == counts.last {
                killedBatch = killMidBatch(options, ledger: ledger, dir: dir)
            }
            for pid in pids { _ = ChildProcess.wait(pid) }
            let seconds = ChildProcess.monotonicSeconds() - start

            var acknowledged = 0, failed = 0
            for writer in 0..<writers {
                let lines = readLines(dir + "/writer-\(writers)-\(writer).out")
                acknowledged += lines.filter { Int($0) != nil }.count
                failed += lines.filter { $0.hasPrefix("failed") }.count
            }
            let events = ChildProcess.capture([options.remedy, "events", "--ledger", ledger])
            let stored = events.split(separator: "\n").map { StoredLine(String($0)) }
            let head = stored.count
            // Wait (bounded) for the follower to print the last position, then stop it.
            let deadline = ChildProcess.monotonicSeconds() + 30
            while readLines(follower).count < head, ChildProcess.monotonicSeconds() < deadline { usleep(50_000) }
            kill(following, SIGTERM)
            _ = ChildProcess.wait(following)
            let followed = readLines(follower).map { StoredLine($0).position }

            let loadIDs = stored.compactMap { $0.type == "LoadTested" ? $0.id : nil }
            let expectedIDs = Set((0..<writers).flatMap { writer in (1...perWriter).map { String(format4(writer: writer, k: $0)) } })
            let lost = expectedIDs.subtracting(loadIDs).count - failed
            let duplicated = loadIDs.count - Set(loadIDs).count
            let gapless = stored.map(\.position) == Array(stride(from: 1, through: head, by: 1))
            var versionsGapless = true
            var byStream: [String: Int] = [:]
            for event in stored {
                let (stream, version) = (event.stream, event.streamVersion)
                if version != (byStream[stream] ?? 0) + 1 { versionsGapless = false }
                byStream[stream] = version
            }
            let inOrder = followed == Array(stride(from: 1, through: head, by: 1))
            let killedVisible = stored.contains { $0.id.hasPrefix("01936a52-ffff-") }
            let verified = ChildProcess.measure([options.remedy, "verify", "--ledger", ledger]).status == 0
            let ok = lost == 0 && duplicated == 0 && gapless && versionsGapless && inOrder && !killedVisible && verified && failed == 0
            let tps = pgbenchTPS(options, server: server, clients: writers, dir: dir, reconnecting: false)
            let reconnecting = pgbenchTPS(options, server: server, clients: writers, dir: dir, reconnecting: true)
            let line = "\(String(writers).leftPadding(7))  \(String(acknowledged).leftPadding(6))  \(String(failed).leftPadding(6))  \(String(lost).leftPadding(4))  "
                + "\(String(duplicated).leftPadding(4))  \((gapless && versionsGapless ? "yes" : "NO").padding(7))  \((inOrder ? "yes" : "NO").padding(8))  "
                + "\((killedBatch ? (killedVisible ? "VISIBLE" : "none") : "-").padding(8))  \((verified ? "yes" : "NO").padding(8))  "
                + "\(fixed(Double(acknowledged) / seconds, 1).leftPadding(9))  \((tps.map { fixed($0, 1) } ?? "-").leftPadding(11))  \((reconnecting.map { fixed($0, 1) } ?? "-").leftPadding(12))"
            results.append((writers, line, ok))
            dropSchema(server: server, schema: schema)
        }
        let latency = followLatency(options, server: server, dir: dir)
        let bulk = options.bulkEvents > 0 ? bulkAndRebuild(options, server: server, dir: dir) : nil
        print(cpuModel())
        print("remedy on PostgreSQL under load: W writer processes, one `remedy append` process per event, and an ingest each")
        print("writers  acked  errors  lost  dups  gapless  in order  killed   verified  appends/s  pgbench TPS  pgbench -C TPS")
        print("(pgbench: one single-row insert a transaction, W clients; -C: a new connection for each, as each remedy process makes)")
        for result in results { print(result.line) }
        if let bulk {
            print("append --ndjson of \(bulk.events) generated events (the loop's catalogue): \(Int((Double(bulk.events) / bulk.append.seconds).rounded()))/s "
                  + "(\(fixed(bulk.append.seconds, 1)) s, peak RSS \(bulk.append.peakRSSBytes / 1_000_000) MB); projections rebuild: "
                  + "\(Int((Double(bulk.events) / bulk.rebuild.seconds).rounded())) events/s (\(fixed(bulk.rebuild.seconds, 1)) s)")
        }
        if let latency {
            print("events --follow, \(latency.count) events appended one at a time: printed \(fixed(latency.fromExit.p50, 1)) ms (p50), "
                  + "\(fixed(latency.fromExit.p99, 1)) ms (p99) after the appending process exited; \(fixed(latency.fromRecorded.p50, 1)) ms (p50), "
                  + "\(fixed(latency.fromRecorded.p99, 1)) ms (p99) after the event's recorded time (before its commit)")
        }
        if results.contains(where: { !$0.ok }) { log("ANOMALIES: see the rows above"); exit(1) }
    }

    /// A bulk append of generated events into a new PostgreSQL ledger, then a rebuild of every
    /// read model over them.
    static func bulkAndRebuild(_ options: Options, server: String, dir: String) -> (events: Int, append: Measurement, rebuild: Measurement) {
        let batch = dir + "/bulk.ndjson"
        log("generating \(options.bulkEvents) events for the bulk append")
        _ = generate(count: options.bulkEvents, to: batch)
        defer { unlink(batch) }
        let schema = "load_bulk_\(getpid())"
        let ledger = server + "?schema=\(schema)"
        defer { dropSchema(server: server, schema: schema) }
        log("append --ndjson into \(ledger)")
        let append = ChildProcess.measure([options.remedy, "append", "--init", "--ledger", ledger, "--ndjson", batch])
        check(append, "remedy append --ndjson")
        log("projections rebuild")
        let rebuild = ChildProcess.measure([options.remedy, "projections", "rebuild", "--ledger", ledger])
        check(rebuild, "remedy projections rebuild")
        return (options.bulkEvents, append, rebuild)
    }

    /// How soon `remedy events --follow` prints an event after it is committed: 100 events
    /// appended one process at a time, 20 ms apart, each looked for in the follower's output
    /// (polled every 0.2 ms). The commit happens before the appending process exits and after
    /// the event's recorded time, so the two figures bound the latency from below and above.
    static func followLatency(_ options: Options, server: String, dir: String) -> (count: Int, fromExit: (p50: Double, p99: Double), fromRecorded: (p50: Double, p99: Double))? {
        let schema = "load_follow_\(getpid())"
        let ledger = server + "?schema=\(schema)"
        defer { dropSchema(server: server, schema: schema) }
        check(ChildProcess.measure([options.remedy, "init", "--ledger", ledger]), "remedy init")
        let output = dir + "/follow-latency.ndjson"
        let follower = ChildProcess.start([options.remedy, "events", "--follow", "--ledger", ledger], stdout: output)
        defer { kill(follower, SIGTERM); _ = ChildProcess.wait(follower) }
        usleep(300_000)
        var fromExit: [Double] = [], fromRecorded: [Double] = []
        for n in 1...100 {
            _ = ChildProcess.measure([options.remedy, "append", "--ledger", ledger, "--stream", "probe-1", "--type", "Probed", "--data", #"{"n":\#(n)}"#])
            let exited = ChildProcess.monotonicSeconds()
            let deadline = exited + 5
            var line: String?
            while ChildProcess.monotonicSeconds() < deadline {
                if let found = readLines(output).first(where: { StoredLine($0).position == n }) { line = found; break }
                usleep(200)
            }
            let seen = ChildProcess.monotonicSeconds()
            guard let line, let recorded = unixMilliseconds(StoredLine(line).recordedAt) else { return nil }
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            let realNow = Double(now.tv_sec) * 1000 + Double(now.tv_nsec) / 1e6
            fromExit.append(max(0, (seen - exited) * 1000))
            fromRecorded.append(realNow - (ChildProcess.monotonicSeconds() - seen) * 1000 - recorded)
            usleep(20_000)
        }
        func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }
        return (fromExit.count, (percentile(fromExit, 0.5), percentile(fromExit, 0.99)), (percentile(fromRecorded, 0.5), percentile(fromRecorded, 0.99)))
    }

    /// Milliseconds since the epoch of an RFC 3339 UTC time with milliseconds (`2026-12-02T05:31:08.215Z`).
    static func unixMilliseconds(_ text: String) -> Double? {
        let digits = text.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        guard digits.count == 7 else { return nil }
        var parts = tm()
        parts.tm_year = Int32(digits[0] - 1900)
        parts.tm_mon = Int32(digits[1] - 1)
        parts.tm_mday = Int32(digits[2])
        parts.tm_hour = Int32(digits[3])
        parts.tm_min = Int32(digits[4])
        parts.tm_sec = Int32(digits[5])
        return Double(timegm(&parts)) * 1000 + Double(digits[6])
    }

    /// The id the harness gives writer `writer`'s `k`th event.
    static func format4(writer: Int, k: Int) -> String {
        let w = String(writer, radix: 16), n = String(k, radix: 16)
        return "01936a52-" + String(repeating: "0", count: 4 - w.count) + w + "-7000-8000-" + String(repeating: "0", count: 12 - n.count) + n
    }

    /// Starts a batch of 200,000 events and kills its process with SIGKILL while it writes;
    /// true when it was killed before it finished (the batch must then be invisible).
    static func killMidBatch(_ options: Options, ledger: String, dir: String) -> Bool {
        let batch = dir + "/killed-batch.ndjson"
        guard let file = fopen(batch, "w") else { return false }
        for n in 0..<200_000 {
            let digits = String(n, radix: 16)
            fputs(#"{"stream":"killed-\#(n % 11)","type":"LoadTested","id":"01936a52-ffff-7000-8000-\#(String(repeating: "0", count: 12 - digits.count) + digits)","data":{"n":\#(n)}}"# + "\n", file)
        }
        fclose(file)
        let pid = ChildProcess.start([options.remedy, "append", "--ledger", ledger, "--ndjson", batch], stdout: "/dev/null")
        usleep(1_500_000)
        let alive = kill(pid, SIGKILL) == 0
        let status = ChildProcess.wait(pid)
        unlink(batch)
        return alive && (status & 0x7f) == SIGKILL
    }

    /// `pgbench` with `clients` clients, each transaction one single-row insert, 5 seconds;
    /// `reconnecting`: a new connection for every transaction (`-C`).
    static func pgbenchTPS(_ options: Options, server: String, clients: Int, dir: String, reconnecting: Bool) -> Double? {
        let script = dir + "/pgbench-insert.sql"
        guard let file = fopen(script, "w") else { return nil }
        fputs("INSERT INTO load_reference.one_row (body) VALUES ('\\x00');\n", file)
        fclose(file)
        _ = ChildProcess.capture(["/usr/bin/psql", "-q", server, "-c",
                                  "CREATE SCHEMA IF NOT EXISTS load_reference; CREATE TABLE IF NOT EXISTS load_reference.one_row (id bigserial PRIMARY KEY, body bytea)"])
        let output = ChildProcess.capture([options.pgbench, "-n"] + (reconnecting ? ["-C"] : []) + ["-c", String(clients), "-j", "2", "-T", "5", "-f", script, server])
        _ = ChildProcess.capture(["/usr/bin/psql", "-q", server, "-c", "SET client_min_messages = warning; DROP SCHEMA load_reference CASCADE"])
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("tps = ") }) else { return nil }
        return Double(line.dropFirst(6).prefix(while: { $0 != " " }))
    }

    static func dropSchema(server: String, schema: String) {
        _ = ChildProcess.capture(["/usr/bin/psql", "-q", server, "-c", "SET client_min_messages = warning; DROP SCHEMA IF EXISTS \(schema) CASCADE"])
    }

    /// A small JUnit report (20 cases, 3 failing) for the writers' ingests.
    static func writeReport(_ path: String) {
        guard let file = fopen(path, "w") else { return }
        fputs(#"<?xml version="1.0" encoding="UTF-8"?>"# + "\n<testsuite name=\"load\" tests=\"20\" failures=\"3\">\n", file)
        for n in 0..<20 {
            fputs("  <testcase classname=\"load.Cases\" name=\"case_\(n)\"\(n % 7 == 3 ? "><failure message=\"off by one\"/></testcase>" : "/>")\n", file)
        }
        fputs("</testsuite>\n", file)
        fclose(file)
    }

    static func readLines(_ path: String) -> [String] {
        guard let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var lines: [String] = []
        var buffer: UnsafeMutablePointer<CChar>?
        var capacity = 0
        while getline(&buffer, &capacity, file) > 0, let buffer {
            let line = String(cString: buffer)
            if line.hasSuffix("\n") { lines.append(String(line.dropLast())) }
        }
        free(buffer)
        return lines
    }
}

/// The envelope fields of one line `remedy events` printed, read by the store's own header
/// reader (``StoredEnvelopeHeader``); position -1 for a line that is not an envelope.
struct StoredLine {
    var position = -1, streamVersion = -1
    var id = "", stream = "", type = "", recordedAt = ""

    init(_ line: String) {
        Array(line.utf8).withUnsafeBytes { bytes in
            guard let header = StoredEnvelopeHeader(bytes) else { return }
            position = header.position
            streamVersion = header.streamVersion
            id = header.text(header.id, in: bytes)
            stream = header.text(header.stream, in: bytes)
            type = header.text(header.type, in: bytes)
            recordedAt = header.text(header.recordedAt, in: bytes)
        }
    }
}
