import Foundation
import XCTest

/// Faults only real processes can show: a writer killed midway, many writers at once.
final class ProcessFaultTests: XCTestCase {
    private func eventCount(_ ledger: String) throws -> Int {
        try Remedy.run(["events", "--ledger", ledger]).stdoutLines.count
    }

    /// A batch killed with SIGKILL before it could commit leaves nothing behind, and the
    /// ledger still verifies.
    func testBatchKilledMidwayLeavesNoPartialBatch() throws {
        let folder = TemporaryFolder()
        let ledger = folder.file("l.db")
        try Remedy.seedExampleEvents(ledger)
        let before = try Remedy.run(["events", "--ledger", ledger]).stdout

        // 1. Killed while still reading its input: many lines sent, the end never reached.
        let input = Pipe()
        let errors = LockedData()
        let (writer, _) = try Remedy.start(["append", "--init", "--ledger", ledger, "--ndjson", "-"], stdin: input, stderr: errors)
        let lines = (1...5000).map { #"{"stream":"kill-\#($0 % 7)","type":"A","data":{"n":\#($0)}}"# }.joined(separator: "\n") + "\n"
        input.fileHandleForWriting.write(Data(lines.utf8))
        usleep(300_000)
        XCTAssertTrue(writer.isRunning, "the batch is still open: \(errors.text)")
        kill(writer.processIdentifier, SIGKILL)
        writer.waitUntilExit()
        XCTAssertEqual(writer.terminationReason, .uncaughtSignal)
        XCTAssertEqual(try Remedy.run(["events", "--ledger", ledger]).stdout, before)
        XCTAssertEqual(try Remedy.run(["verify", "--ledger", ledger]).status, 0)

        // 2. Killed while writing a large batch, once its uncommitted pages spill into the WAL.
        let big = folder.file("big.ndjson")
        let payload = String(repeating: "p", count: 300)
        let text = (1...150_000).map { #"{"stream":"big-\#($0 % 100)","type":"A","data":{"n":\#($0),"p":"\#(payload)"}}"# }.joined(separator: "\n")
        _ = FileManager.default.createFile(atPath: big, contents: Data(text.utf8))
        let walBefore = (try? FileManager.default.attributesOfItem(atPath: ledger + "-wal")[.size] as? Int) ?? 0
        let (bulk, _) = try Remedy.start(["append", "--init", "--ledger", ledger, "--ndjson", big])
        let spilled = waitUntil(seconds: 60) {
            let size = (try? FileManager.default.attributesOfItem(atPath: ledger + "-wal")[.size] as? Int) ?? 0
            return size > walBefore + 4_000_000 || !bulk.isRunning
        }
        XCTAssertTrue(spilled)
        XCTAssertTrue(bulk.isRunning, "killed before it could commit")
        kill(bulk.processIdentifier, SIGKILL)
        bulk.waitUntilExit()
        XCTAssertEqual(try Remedy.run(["events", "--ledger", ledger]).stdout, before)
        let verify = try Remedy.run(["verify", "--ledger", ledger])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertTrue(verify.stdout.hasPrefix("verified 20 events"), verify.stdout)
        // And the ledger takes new writes afterwards.
        XCTAssertEqual(try Remedy.run(["append", "--init", "--ledger", ledger, "--stream", "after-1", "--type", "A", "--data", "{}"]).stdout, "21\n")
    }

    /// A full disk fails the append with exit 7 and a clear message, and leaves the ledger as
    /// it was. The disk is a 2 MiB tmpfs where the machine allows mounting one; elsewhere a file
    /// size limit (RLIMIT_FSIZE) makes the same writes fail.
    func testAFullDiskLeavesTheLedgerAsItWas() throws {
        let folder = TemporaryFolder()
        let mountPoint = folder.file("small")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = shell("mount -t tmpfs -o size=2m tmpfs '\(mountPoint)'") == 0
        defer { if mounted { _ = shell("umount '\(mountPoint)'") } }
        let ledger = mountPoint + "/ledger.db"
        try Remedy.seedExampleEvents(ledger)
        let before = try Remedy.run(["events", "--ledger", ledger]).stdout

        let payload = String(repeating: "x", count: 400)
        let batch = folder.write("big.ndjson", (1...20_000).map { #"{"stream":"disk-\#($0 % 9)","type":"A","data":{"p":"\#(payload)"}}"# }.joined(separator: "\n"))
        let command = "'\(Remedy.binary.path)' append --ledger '\(ledger)' --ndjson '\(batch)'"
        let result = try runShell(mounted ? command : "ulimit -f 1024; trap '' XFSZ; exec \(command)")
        XCTAssertEqual(result.status, 7, result.stderr)
        XCTAssertTrue(result.stderr.hasPrefix("remedy: error: cannot append to the ledger"), result.stderr)
        XCTAssertTrue(result.stderr.contains(mounted ? "the disk is full; nothing was written" : "I/O error"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1)
        XCTAssertEqual(try Remedy.run(["events", "--ledger", ledger]).stdout, before)
        XCTAssertEqual(try Remedy.run(["verify", "--ledger", ledger]).status, 0)
    }

    @discardableResult
    private func shell(_ command: String) -> Int32 {
        (try? runShell(command).status) ?? -1
    }

    private func runShell(_ command: String) throws -> Remedy.Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", command]
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Remedy.Output(status: process.terminationStatus, stdout: "", stderr: String(decoding: err, as: UTF8.self))
    }

    /// Eight `remedy append --ndjson` processes started together on a ledger that does not
    /// exist yet, each appending 500 events to a shared stream and to its own.
    func testEightBatchWritersRacingOnANewLedger() throws {
        let folder = TemporaryFolder()
        let ledger = folder.file("new.db")
        let writers = 8, perWriter = 500
        var batches: [String] = []
        for w in 0..<writers {
            let lines = (0..<perWriter).map { i in
                let stream = i % 2 == 0 ? "shared-1" : "worker-\(w)"
                return #"{"stream":"\#(stream)","type":"A","data":{"w":\#(w),"i":\#(i)}}"#
            }
            batches.append(folder.write("w\(w).ndjson", lines.joined(separator: "\n")))
        }
        let results = try runTogether(batches.map { ["append", "--init", "--ledger", ledger, "--ndjson", $0] })
        for result in results {
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertFalse(result.stderr.contains("locked"), result.stderr)
        }
        try assertGaplessAndVerified(ledger, total: writers * perWriter, writers: writers)
    }

    /// Eight CI jobs, each appending single events in a loop, one process per event.
    func testEightSingleEventWritersInterleave() throws {
        let folder = TemporaryFolder()
        let ledger = folder.file("new.db")
        let writers = 8, perWriter = 40
        let script = """
            for i in $(seq 0 \(perWriter - 1)); do
              if [ $((i % 2)) -eq 0 ]; then s=shared-1; else s=worker-$W; fi
              "\(Remedy.binary.path)" append --init --ledger "\(ledger)" --stream "$s" --type A --data "{\\"w\\":$W,\\"i\\":$i}" >/dev/null || exit 1
            done
            """
        let results = try runTogether((0..<writers).map { ["W=\($0)", script] }, shell: true)
        for result in results {
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(result.stderr, "")
        }
        try assertGaplessAndVerified(ledger, total: writers * perWriter, writers: writers)
    }

    /// Many processes racing to create and migrate the same ledger all succeed.
    func testManyProcessesCreatingTheSameLedger() throws {
        let folder = TemporaryFolder()
        let ledger = folder.file("race.db")
        let count = 40
        let results = try runTogether((0..<count).map { ["append", "--init", "--ledger", ledger, "--stream", "race-\($0)", "--type", "A", "--data", "{}"] })
        XCTAssertEqual(results.filter { $0.status == 0 }.count, count, results.map(\.stderr).joined())
        XCTAssertEqual(Set(results.map(\.stdout)).count, count, "each got its own position")
        XCTAssertEqual(try eventCount(ledger), count)
        XCTAssertEqual(try Remedy.run(["verify", "--ledger", ledger]).status, 0)
    }

    private func assertGaplessAndVerified(_ ledger: String, total: Int, writers: Int) throws {
        let lines = try Remedy.run(["events", "--ledger", ledger]).stdoutLines
        XCTAssertEqual(lines.count, total, "every event landed exactly once")
        var positions: [Int] = []
        var versions: [String: [Int]] = [:]
        var seen = Set<String>()
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            positions.append(object["position"] as! Int)
            versions[object["stream"] as! String, default: []].append(object["stream_version"] as! Int)
            let data = object["data"] as! [String: Any]
            XCTAssertTrue(seen.insert("\(data["w"]!)/\(data["i"]!)").inserted, "duplicate \(data)")
        }
        XCTAssertEqual(positions, Array(1...total))
        XCTAssertEqual(versions.count, writers + 1)
        for (stream, list) in versions { XCTAssertEqual(list, Array(1...list.count), stream) }
        XCTAssertEqual(versions["shared-1"]?.count, total / 2)
        let verify = try Remedy.run(["verify", "--ledger", ledger])
        XCTAssertEqual(verify.status, 0, verify.stderr)
        XCTAssertTrue(verify.stdout.hasPrefix("verified \(total) events"))
    }

    /// Starts every command at once and waits for all of them.
    private func runTogether(_ commands: [[String]], shell: Bool = false) throws -> [Remedy.Output] {
        let results = LockedResults(count: commands.count)
        DispatchQueue.concurrentPerform(iterations: commands.count) { index in
            do {
                if shell {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/bin/bash")
                    process.arguments = ["-c", commands[index][1]]
                    process.environment = ProcessInfo.processInfo.environment.merging(["W": String(commands[index][0].dropFirst(2))]) { $1 }
                    let stderr = Pipe()
                    process.standardError = stderr
                    try process.run()
                    let err = stderr.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    results.set(index, Remedy.Output(status: process.terminationStatus, stdout: "", stderr: String(decoding: err, as: UTF8.self)))
                } else {
                    results.set(index, try Remedy.run(commands[index]))
                }
            } catch {
                results.set(index, Remedy.Output(status: -1, stdout: "", stderr: "\(error)"))
            }
        }
        return results.all
    }
}

final class LockedResults: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Remedy.Output?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: Remedy.Output) { lock.lock(); values[index] = value; lock.unlock() }
    var all: [Remedy.Output] { lock.lock(); defer { lock.unlock() }; return values.map { $0! } }
}
