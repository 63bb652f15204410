import Foundation
import XCTest
@testable import remedy

/// The command under test (this target's own `Remedy` runs the binary).
private typealias Append = remedy.Remedy.Append

/// `remedy append` reads plain arguments without ArgumentParser (``Remedy/Append/direct(_:)``):
/// whatever it accepts must be the command ArgumentParser makes of the same words, and whatever
/// it is unsure of must go to ArgumentParser.
final class AppendDirectArgumentsTests: XCTestCase {
    /// Command lines CI writes: both readers make the same command.
    func testDirectReadingMakesTheCommandArgumentParserMakes() throws {
        let lines: [[String]] = [
            ["--ledger", "ci.db", "--stream", "fix-42", "--type", "FixProposed", "--data", #"{"fix":"f1"}"#],
            ["--stream", "fix-42", "--type", "FixProposed", "--data", "@fix.json", "--init"],
            ["--stream", "deploy-1", "--type", "DeploymentRecorded", "--data", "", "--json"],
            ["--ledger", "l.db", "--busy-timeout", "2.5", "--stream", "deploy-1", "--type", "A", "--id", "7d1f0c2e-3b4a-4c5d-8e9f-0a1b2c3d4e5f",
             "--actor", "ci", "--correlation-id", "c-1", "--causation-id", "e-9", "--trace-id", "t-3", "--expect-version", "3",
             "--schema-version", "2", "--json"],
            ["--type", "A", "--stream", "deploy-1", "--expect-new", "--busy-timeout", "0"],
            ["--ndjson", "-", "--ledger", "l.db"],
            ["--init", "--ndjson", "batch.ndjson", "--json"],
        ]
        for line in lines {
            let direct = try XCTUnwrap(Append.direct(line[...]), "direct reading refused \(line)")
            let parsed = try XCTUnwrap(try remedy.Remedy.parseAsRoot(["append"] + line) as? Append)
            XCTAssertEqual(direct, parsed.request, "\(line)")
        }
    }

    /// What the direct reader is unsure of, ArgumentParser reads: help, `=` forms, short
    /// names, unknown, repeated or missing words, values that look like options, numbers that
    /// do not parse, combinations `validate()` refuses.
    func testAnythingUnusualIsLeftToArgumentParser() {
        let lines: [[String]] = [
            ["--help"], ["-h"], ["--version"], [],
            ["--stream=fix-1", "--type", "A"],
            ["--stream", "fix-1", "--stream", "fix-2", "--type", "A"],
            ["--stream", "fix-1", "--type", "A", "--json", "--json"],
            ["--stream", "fix-1", "--type"],
            ["--stream", "-x", "--type", "A"],
            ["--stream", "fix-1", "--type", "A", "--expect-version", "x"],
            ["--stream", "fix-1", "--type", "A", "--expect-version", "-1"],
            ["--stream", "fix-1", "--type", "A", "--busy-timeout", "soon"],
            ["--stream", "fix-1", "--type", "A", "--busy-timeout", "100000"],
            ["--stream", "fix-1", "--type", "A", "extra"],
            ["--stream", "fix-1", "--type", "A", "--"],
            ["--stream", "fix-1"],
            ["--ndjson", "batch.ndjson", "--stream", "fix-1"],
            ["--stream", "fix-1", "--type", "A", "--expect-new", "--expect-version", "2"],
            ["--stream", "fix-1", "--type", "A", "--unknown", "1"],
        ]
        for line in lines {
            XCTAssertNil(Append.direct(line[...]), "\(line) should be left to ArgumentParser")
        }
    }

    /// The direct reader knows every option `append` has: a new option taught to ArgumentParser
    /// and not to `direct` fails here, not in a CI job.
    func testTheDirectReaderKnowsEveryOptionOfAppend() {
        let help = Append.helpMessage(columns: 400)
        let declared = Set(help.split(whereSeparator: { !($0.isLetter || $0 == "-") })
            .map(String.init).filter { $0.hasPrefix("--") && $0.count > 2 })
        XCTAssertEqual(declared.subtracting(["--help", "--version"]), Append.valueNames.union(Append.flagNames))
    }

    /// The binary itself: a plain append goes through, what the direct reader leaves behind is
    /// refused by ArgumentParser with its usage error, and the ledger is unchanged.
    func testTheBinaryAppendsPlainArgumentsAndLeavesUsageErrorsToArgumentParser() throws {
        let folder = NSTemporaryDirectory() + "remedy-direct-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let ledger = folder + "/ledger.db"
        let first = try Remedy.run(["append", "--init", "--ledger", ledger, "--stream", "deploy-1", "--type", "DeploymentRecorded", "--data", "{}", "--json"])
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertTrue(first.stdout.contains(#""position":1"#), first.stdout)
        for (arguments, message) in [(["--stream", "deploy-1"], "missing --type"),
                                     (["--stream", "deploy-1", "--type", "A", "--busy-timeout", "99999"], "--busy-timeout must be between"),
                                     (["--stream", "deploy-1", "--type"], "Missing value for '--type <type>'")] {
            let refused = try Remedy.run(["append", "--ledger", ledger] + arguments)
            XCTAssertEqual(refused.status, 64, "\(arguments)")
            XCTAssertTrue(refused.stderr.contains(message), refused.stderr)
        }
        XCTAssertEqual(try Remedy.run(["status", "--ledger", ledger, "--json"]).stdout.contains(#""events":1"#), true)
    }

    /// `--version`, answered before ArgumentParser, prints what ArgumentParser would.
    func testTheVersionIsTheCommandsVersion() throws {
        let printed = try Remedy.run(["--version"])
        XCTAssertEqual(printed.status, 0)
        XCTAssertEqual(printed.stdout, remedy.Remedy.configuration.version + "\n")
        XCTAssertEqual(try Remedy.run(["append", "--version"]).stdout, printed.stdout, "ArgumentParser's own answer, the same")
    }
}
