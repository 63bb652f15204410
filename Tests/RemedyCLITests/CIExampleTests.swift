import Foundation
import XCTest
@testable import remedy

/// The CI examples under `examples/github-actions/` stay runnable: their YAML parses (with a
/// real YAML parser, PyYAML), every `remedy` command line in their steps parses with this
/// CLI, and every step that reads a gate's or the ratchet's decision turns `set -e` off
/// first, so the runner's `bash -e` cannot hide exit codes 10, 11 and 12.
final class CIExampleTests: XCTestCase {
    private static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/github-actions")

    func testEveryRemedyCommandInTheWorkflowsParses() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.examples.path).filter { $0.hasSuffix(".yml") }.sorted()
        XCTAssertEqual(files, ["evals-fleet-postgres.yml", "evals-with-bundle.yml"])
        var commands = 0
        for file in files {
            let workflow = try Self.yaml(Self.examples.appendingPathComponent(file).path)
            let jobs = try XCTUnwrap(workflow["jobs"] as? [String: Any], file)
            for (name, job) in jobs {
                let steps = try XCTUnwrap((job as? [String: Any])?["steps"] as? [[String: Any]], "\(file): \(name)")
                for script in steps.compactMap({ $0["run"] as? String }) {
                    let lines = script.replacingOccurrences(of: "\\\n", with: " ").split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
                    for (index, line) in lines.enumerated() where line.hasPrefix("remedy ") {
                        let words = Array(Self.words(line).dropFirst())
                        XCTAssertNoThrow(try remedy.Remedy.parseAsRoot(words), "\(file): \(line)")
                        commands += 1
                        if ["gate", "ratchet"].contains(words.first) {
                            XCTAssertTrue(lines[..<index].contains("set +e"), "\(file): `\(line)` runs under set -e")
                            XCTAssertTrue(lines[index...].contains { $0.hasPrefix("case \"$status\"") }, "\(file): `\(line)`'s exit code is not read")
                        }
                    }
                }
            }
        }
        XCTAssertGreaterThanOrEqual(commands, 10, "the remedy command lines are found")
    }

    /// A YAML file as JSON objects, read by PyYAML (`python3-yaml`, which `.ci/run` installs).
    private static func yaml(_ path: String) throws -> [String: Any] {
        let python = Process()
        python.executableURL = URL(fileURLWithPath: FileManager.default.fileExists(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : "/usr/bin/env")
        python.arguments = (python.executableURL?.path == "/usr/bin/env" ? ["python3"] : [])
            + ["-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1])), default=str))", path]
        let output = Pipe()
        python.standardOutput = output
        try python.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        python.waitUntilExit()
        guard python.terminationStatus == 0, let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw XCTestError(.failureWhileWaiting, userInfo: [NSLocalizedDescriptionKey: "\(path) is not YAML PyYAML reads (is python3-yaml installed?)"])
        }
        return object
    }

    /// A command line's words as the shell would pass them: quotes removed, `${{ … }}` and
    /// `$VAR` standing for a value, up to a redirection, pipe, `;` or comment.
    static func words(_ line: String) -> [String] {
        let line = line.replacingOccurrences(of: #"\$\{\{[^}]*\}\}"#, with: "x", options: .regularExpression)
            .replacingOccurrences(of: #"\$\{?[A-Za-z_][A-Za-z_0-9#/]*\}?"#, with: "1", options: .regularExpression)
        var words: [String] = []
        var current = "", quote: Character?, inWord = false
        for character in line {
            if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "'" || character == "\"" {
                quote = character
                inWord = true
            } else if character == " " {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else if [">", "|", ";", "#"].contains(character) {
                break
            } else {
                current.append(character)
                inWord = true
            }
        }
        if inWord, quote == nil { words.append(current) }
        return words
    }
}
