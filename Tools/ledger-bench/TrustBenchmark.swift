#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import EventGenerator

extension LedgerBenchmark {
    /// The trust figures over a generated ledger: `remedy checkpoint`, inclusion and
    /// consistency proofs end to end, `remedy export` beside `gzip -6` on the same NDJSON, and
    /// `remedy verify-bundle` beside `gunzip` on the bundle, each reference measured in the
    /// same run.
    ///
    /// ```
    /// .build/release/ledger-bench --trust --events 1000000 --runs 5
    /// ```
    static func trustBenchmark(_ options: Options) {
        var options = options
        options.resolveBinaries()
        mkdir(options.directory, 0o755)
        let dir = options.directory
        let batch = dir + "/trust.ndjson", ledger = dir + "/trust.db", key = dir + "/trust.key"
        let envelopes = dir + "/envelopes.ndjson", bundle = dir + "/trust.tar.gz", vkeyFile = dir + "/trust.pub"
        log("generating \(options.events) events")
        _ = generate(count: options.events, to: batch)
        removeLedger(ledger)
        unlink(key)
        check(ChildProcess.measure([options.remedy, "append", "--init", "--ledger", ledger, "--ndjson", batch]), "remedy append")
        unlink(batch)
        log("catching up the read models (not measured)")
        check(ChildProcess.measure([options.remedy, "guards", "--list", "--ledger", ledger]), "remedy guards")
        check(ChildProcess.measure([options.remedy, "key", "generate", "--ledger", ledger, "--out", key], stdout: vkeyFile), "remedy key generate")

        // A checkpoint is signed over a new head each time: one event appended before each.
        var checkpoints: [Double] = []
        for run in 0..<max(9, options.runs) {
            check(ChildProcess.measure([options.remedy, "append", "--ledger", ledger, "--stream", "bench-1", "--type", "BenchTick", "--data", #"{"run":\#(run)}"#]), "remedy append")
            let measured = ChildProcess.measure([options.remedy, "checkpoint", "--ledger", ledger, "--key", key])
            check(measured, "remedy checkpoint")
            checkpoints.append(measured.seconds)
        }
        var random = SplitMix64(seed: 20_261_201)
        var inclusions: [Double] = [], consistencies: [Double] = []
        for _ in 0..<21 {
            let position = Int(random.next() % UInt64(options.events)) + 1
            let inclusion = ChildProcess.measure([options.remedy, "prove", "inclusion", String(position), "--ledger", ledger])
            check(inclusion, "remedy prove inclusion")
            inclusions.append(inclusion.seconds)
            let from = Int(random.next() % UInt64(options.events)) + 1
            let consistency = ChildProcess.measure([options.remedy, "prove", "consistency", "--from", String(from), "--ledger", ledger])
            check(consistency, "remedy prove consistency")
            consistencies.append(consistency.seconds)
        }

        check(ChildProcess.measure([options.remedy, "events", "--ledger", ledger], stdout: envelopes), "remedy events")
        let ndjsonBytes = fileSize(envelopes)
        var exports: [Measurement] = [], gzips: [Measurement] = [], verifies: [Measurement] = [], gunzips: [Measurement] = []
        for run in 1...options.runs {
            log("run \(run)/\(options.runs): export, gzip -6, verify-bundle, gunzip")
            let gzip = ChildProcess.measure([options.gzip, "-6", "-c", envelopes])
            check(gzip, "gzip -6")
            gzips.append(gzip)
            unlink(bundle)
            let export = ChildProcess.measure([options.remedy, "export", "--ledger", ledger, "--out", bundle])
            check(export, "remedy export")
            exports.append(export)
            let gunzip = ChildProcess.measure([options.gzip, "-dc", bundle])
            check(gunzip, "gunzip")
            gunzips.append(gunzip)
            let verify = ChildProcess.measure([options.remedy, "verify-bundle", bundle, "--key", vkeyFile])
            check(verify, "remedy verify-bundle")
            verifies.append(verify)
        }
        let bundleBytes = fileSize(bundle)
        let exportSeconds = median(exports.map(\.seconds)), gzipSeconds = median(gzips.map(\.seconds))
        let verifySeconds = median(verifies.map(\.seconds)), gunzipSeconds = median(gunzips.map(\.seconds))
        let megabytes = Double(ndjsonBytes) / 1e6
        print(cpuModel())
        print("remedy trust benchmark: \(options.events) generated events, \(fixed(megabytes, 1)) MB of NDJSON; export and verify median of \(options.runs) runs")
        print("figure".padding(44) + " " + "median".leftPadding(14) + " " + "target".leftPadding(12) + " " + "peak RSS".leftPadding(10))
        row("remedy checkpoint", fixed(median(checkpoints) * 1000, 1) + " ms", "<= 50 ms", nil)
        row("remedy prove inclusion, end to end", fixed(median(inclusions) * 1000, 1) + " ms", "<= 20 ms", nil)
        row("remedy prove consistency, end to end", fixed(median(consistencies) * 1000, 1) + " ms", "<= 20 ms", nil)
        row("remedy export", fixed(megabytes / exportSeconds, 1) + " MB/s", "", peak(exports))
        row("gzip -6 on the NDJSON (reference)", fixed(megabytes / gzipSeconds, 1) + " MB/s", "", nil)
        row("  export / gzip -6 speed", fixed(gzipSeconds / exportSeconds, 2) + "x", ">= 1.0x", nil)
        row("  bundle size / NDJSON size", fixed(Double(bundleBytes) * 100 / Double(ndjsonBytes), 1) + " %", "<= 18 %", nil)
        row("remedy verify-bundle", fixed(megabytes / verifySeconds, 1) + " MB/s", "", peak(verifies))
        row("gunzip of the bundle (reference)", fixed(megabytes / gunzipSeconds, 1) + " MB/s", "", nil)
        row("  verify-bundle / gunzip speed", fixed(gunzipSeconds / verifySeconds, 2) + "x", ">= 0.8x", nil)
        row("  peak RSS target, export and verify-bundle", "", "<= 64 MB", nil)
        for path in [envelopes, bundle, key, vkeyFile] { unlink(path) }
        removeLedger(ledger)
    }

    static func fileSize(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : 0
    }
}
