import Foundation
import XCTest
@testable import AuditBundle
import Events
@testable import LedgerStore
import RemediationLoop
import ReadViews
import DemoStory

/// A real ledger with a story in it, a signing key, two signed checkpoints and a bundle of
/// it: what the bundle tests export, verify, tamper with and import.
final class BundleFixture {
    let folder: String
    let ledger: Ledger
    let key: NoteSignerKey
    let bundle: String
    /// The checkpoint signed halfway, which an auditor would have kept.
    let earlier: SignedCheckpoint

    init(origin: String = "ci.example.com/acme/evals", extraEvents: Int = 300) throws {
        folder = NSTemporaryDirectory() + "remedy-bundle-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        ledger = try Ledger.open(LedgerPath(path: folder + "/ledger.db"), mode: .readWrite, create: .ifMissing(origin: origin))
        key = try NoteSignerKey(generatingFor: origin)
        let steps = LoopSteps(ledger: ledger)
        try steps.adoptPolicy(text: DefaultPolicy.text, name: "policy", by: "dana@example.com")
        earlier = try ledger.signCheckpoint(with: key)
        _ = try AvalancheStory.play(into: ledger, reportsFolder: folder)
        // A skill map adopted after the story's runs re-attributes them: `--replay` must fold it first.
        try steps.adoptSkillMap(text: "forecast.*  forecast-skill\nalerts.*  alerts-skill\n", name: "skills", by: "dana@example.com")
        var remaining = extraEvents
        try steps.append(batch: {
            remaining -= 1
            return remaining >= 0 ? (try ProposedEvent(stream: StreamName("deploy-\(remaining % 7)"), type: EventType("DeploymentRecorded"),
                                                       json: Array(#"{"n":\#(remaining),"note":"tab\tand \"quotes\""}"#.utf8)), nil) : nil
        })
        try ledger.signCheckpoint(with: key)
        bundle = folder + "/bundle.tar.gz"
        _ = try BundleExporter(ledger: ledger, projections: ReadModels.all).export(.latestCheckpoint, to: bundle)
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func file(_ name: String) -> String { folder + "/" + name }

    var verifier: BundleVerifier { BundleVerifier(keys: [key.verifier]) }

    /// The members of a bundle, unpacked with the module's own strict reader.
    static func members(of path: String) throws -> [(name: String, bytes: [UInt8])] {
        var collector = Collector()
        var tar = TarReader(limits: .default)
        try GzipReader.inflate(path: path, limits: .default) { chunk in
            try? chunk.withUnsafeBytes { try tar.feed($0, to: &collector) }
            return true
        }
        return collector.members
    }

    /// Writes members as a bundle, in the order given, with raw headers where asked.
    static func write(_ members: [(name: String, bytes: [UInt8])], to path: String, header: (String, Int) -> [UInt8] = TarHeader.regularFile) throws {
        let output = try OutputFile(path: path)
        let gzip = try GzipWriter(to: output)
        for member in members {
            try gzip.write(header(member.name, member.bytes.count))
            try gzip.write(member.bytes)
            try gzip.write([UInt8](repeating: 0, count: TarHeader.padding(after: member.bytes.count)))
        }
        try gzip.write([UInt8](repeating: 0, count: TarHeader.recordSize))
        try gzip.finish()
        try output.commit()
    }

    private struct Collector: TarMemberHandler {
        var members: [(name: String, bytes: [UInt8])] = []
        mutating func beginMember(name: String, size: Int) throws { members.append((name, [])) }
        mutating func memberData(_ bytes: UnsafeRawBufferPointer) throws { members[members.count - 1].bytes += bytes }
        mutating func endMember() throws {}
    }
}

/// Runs a program to completion; its status and output.
@discardableResult
func runProgram(_ path: String, _ arguments: [String], directory: String? = nil, environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
