import Foundation
import XCTest
import Events

/// Runs the built `remedy` binary as a real process, the way CI scripts do.
enum Remedy {
    /// `.build/<configuration>/remedy`, beside the test bundle.
    static let binary: URL = {
        #if os(macOS)
        let products = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }!.bundleURL.deletingLastPathComponent()
        #else
        let products = Bundle.main.bundleURL
        #endif
        return products.appendingPathComponent("remedy")
    }()

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var stdoutLines: [String] { stdout.split(separator: "\n").map(String.init) }
    }

    /// Runs `remedy ARGS` to completion with `input` on standard input.
    @discardableResult
    static func run(_ arguments: [String], input: Data? = nil, environment: [String: String] = [:],
                    directory: String? = nil, executable: String? = nil) throws -> Output {
        let process = Process()
        process.executableURL = executable.map { URL(fileURLWithPath: $0) } ?? binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "REMEDY_LEDGER")
        env.merge(environment) { $1 }
        process.environment = env
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let stdout = Pipe(), stderr = Pipe(), stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(input) }
        try stdin.fileHandleForWriting.close()
        // Read both pipes before waiting, so a full pipe cannot block the child.
        let group = DispatchGroup()
        let errData = LockedData()
        DispatchQueue.global().async(group: group) { errData.append(stderr.fileHandleForReading.readDataToEndOfFile()) }
        let outData = stdout.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.value, as: UTF8.self))
    }

    /// Appends the 20 example events (``ExampleEvents``) to a ledger through the CLI.
    static func seedExampleEvents(_ ledger: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try run(["append", "--init", "--ledger", ledger, "--ndjson", "-"], input: Data(ExampleEvents.ndjson.utf8))
        XCTAssertEqual(result.status, 0, result.stderr, file: file, line: line)
    }

    /// Starts `remedy ARGS` and returns it running, its output collected as it arrives.
    static func start(_ arguments: [String], stdin: Pipe? = nil, stderr: LockedData? = nil, directory: String? = nil) throws -> (Process, LockedData) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "REMEDY_LEDGER")
        process.environment = env
        let stdout = Pipe()
        let collected = LockedData()
        stdout.fileHandleForReading.readabilityHandler = { handle in collected.append(handle.availableData) }
        process.standardOutput = stdout
        if let stderr {
            let pipe = Pipe()
            pipe.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.availableData
                // Empty at the end of the pipe: everything the process wrote has arrived.
                if data.isEmpty {
                    handle.readabilityHandler = nil
                    stderr.end()
                } else {
                    stderr.append(data)
                }
            }
            process.standardError = pipe
        } else {
            process.standardError = FileHandle.nullDevice
        }
        if let stdin { process.standardInput = stdin }
        try process.run()
        return (process, collected)
    }
}

/// Bytes appended from several threads.
final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    private var ended = false

    func append(_ more: Data) { lock.lock(); data.append(more); lock.unlock() }
    var value: Data { lock.lock(); defer { lock.unlock() }; return data }
    var text: String { String(decoding: value, as: UTF8.self) }

    /// Marks the end of the pipe the data came from.
    func end() { lock.lock(); ended = true; lock.unlock() }
    private var hasEnded: Bool { lock.lock(); defer { lock.unlock() }; return ended }

    /// Waits up to `seconds` for the end of the pipe: a handler on another thread delivers the
    /// last bytes, which may come after the process is seen to have exited.
    @discardableResult
    func waitForEnd(seconds: Double) -> Bool { waitUntil(seconds: seconds) { hasEnded } }
}

/// Waits up to `seconds` for `condition`, polling.
func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        usleep(20_000)
    }
    return condition()
}

/// A fresh folder per test.
final class TemporaryFolder {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "remedy-cli-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String) -> String {
        let path = file(name)
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }
}
