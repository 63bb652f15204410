import Foundation
import XCTest

/// Every input a fuzzing campaign found crashing (`Tools/fuzz/run-fuzzers.sh` keeps them in
/// `Tools/fuzz/regressions/TARGET/`), and the fixtures the campaigns start from, run again
/// through the same targets as a plain process: each must end normally, however it is refused.
final class FuzzRegressionTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    private var fuzz: String { Remedy.binary.deletingLastPathComponent().appendingPathComponent("remedy-fuzz").path }

    private func files(_ folder: String) throws -> [String] {
        let url = root.appendingPathComponent(folder)
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: url.path).filter { !$0.hasPrefix(".") }.sorted()
            .map { url.appendingPathComponent($0).path }
            .filter { var isFolder: ObjCBool = false; return FileManager.default.fileExists(atPath: $0, isDirectory: &isFolder) && !isFolder.boolValue }
    }

    func testEveryKeptCrashRunsCleanly() throws {
        var ran = 0
        for target in ["report", "ndjson", "canonical", "note", "config", "handler", "bundle"] {
            let inputs = try files("Tools/fuzz/regressions/\(target)")
            guard !inputs.isEmpty else { continue }
            let output = try Remedy.run([target] + inputs, executable: fuzz)
            XCTAssertEqual(output.status, 0, "\(target): \(output.stderr)")
            ran += inputs.count
        }
        // A target that is not one is refused with its usage (the runner itself works).
        XCTAssertEqual(try Remedy.run(["no-such-target", "x"], executable: fuzz).status, 64)
        print("\(ran) kept fuzzing inputs ran cleanly")
    }

    /// The seeds: every report fixture through the report target, each format forced in turn
    /// (the target's first byte picks it), and every catalogue example through the JSON targets.
    func testTheSeedsRunCleanlyThroughEveryTarget() throws {
        let reports = try files("Tests/IngestTests/Fixtures/reports") + files("Tests/IngestTests/Fixtures/reports/bad")
            + files("Tests/IngestTests/Fixtures/generated")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remedy-fuzz-seeds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var prefixed: [String] = []
        for (index, report) in reports.enumerated() {
            // 0 detects; 1... force each format, so every parser meets every other format's files.
            let path = folder.appendingPathComponent("\(index)").path
            try (Data([UInt8(index % 9)]) + Data(contentsOf: URL(fileURLWithPath: report))).write(to: URL(fileURLWithPath: path))
            prefixed.append(path)
        }
        let output = try Remedy.run(["report"] + prefixed, executable: fuzz)
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertTrue(output.stdout.contains("\(prefixed.count) inputs ran"), output.stdout)
        let examples = try files("Events/Catalogue/examples")
        for target in ["canonical", "ndjson", "handler", "config", "note"] {
            XCTAssertEqual(try Remedy.run([target] + examples, executable: fuzz).status, 0, target)
        }
    }
}
