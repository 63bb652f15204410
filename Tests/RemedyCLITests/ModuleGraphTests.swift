import Foundation
import XCTest

/// README's module table is the real graph: every target's source files import only what its
/// row lists, and every row names a target that exists.
final class ModuleGraphTests: XCTestCase {
    /// The repository, found from this file's path.
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Where each target's sources are.
    private static func folder(of target: String) -> URL {
        switch target {
        case "Events": root.appendingPathComponent("Events")
        case "Projections": root.appendingPathComponent("Projections")
        default: root.appendingPathComponent("Sources/\(target)")
        }
    }

    /// The README's table: target → the targets and libraries it may import.
    private func documentedGraph() throws -> [String: Set<String>] {
        let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try XCTUnwrap(readme.components(separatedBy: "## Modules\n").dropFirst().first?.components(separatedBy: "\n## ").first)
        var graph: [String: Set<String>] = [:]
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let target = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            graph[target] = Set(cells[1].split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " `")) }.filter { $0 != "—" })
        }
        return graph
    }

    /// The modules a target's files import, system modules left out.
    private func imports(of target: String) throws -> Set<String> {
        let system: Set<String> = ["Glibc", "Darwin", "Foundation", "FoundationEssentials", "Dispatch", "Synchronization"]
        var found = Set<String>()
        let files = FileManager.default.enumerator(at: Self.folder(of: target), includingPropertiesForKeys: nil)
        while let file = files?.nextObject() as? URL {
            guard file.pathExtension == "swift" else { continue }
            // Imports start their line, before the file's first declaration (after it, an
            // "import" line is text inside a string: a shipped script, say).
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n")
            let header = lines.prefix { line in
                line.hasPrefix("import ") || line.hasPrefix("@testable import ") || line.hasPrefix("#") || (line.hasPrefix("//") && !line.hasPrefix("///"))
            }
            for line in header where line.hasPrefix("import ") || line.hasPrefix("@testable import ") {
                let words = line.split(separator: " ")
                guard words.first == "import" || (words.first == "@testable" && words.dropFirst().first == "import"), let module = words.last else { continue }
                if !system.contains(String(module)) { found.insert(String(module)) }
            }
        }
        return found
    }

    func testEveryTargetImportsOnlyWhatTheREADMETableLists() throws {
        let graph = try documentedGraph()
        XCTAssertEqual(graph.count, 14, "\(graph.keys.sorted())")
        for (target, allowed) in graph {
            XCTAssertTrue(FileManager.default.fileExists(atPath: Self.folder(of: target).path), "no sources for \(target)")
            let actual = try imports(of: target)
            XCTAssertTrue(actual.isSubset(of: allowed), "\(target) imports \(actual.subtracting(allowed).sorted()) beyond README's row")
        }
        // Downward only: no target imports one listed after it.
        let order = ["SystemIO", "Events", "Projections", "Ingest", "LedgerCore", "LedgerStore", "PostgresStore", "AuditBundle", "RemediationLoop", "ReadViews", "Reports", "LoopRunner", "DemoStory", "remedy"]
        for (index, target) in order.enumerated() {
            let later = Set(order[(index + 1)...])
            XCTAssertTrue(try imports(of: target).isDisjoint(with: later), "\(target) imports a target below it in the order")
        }
        // Only the SQLite store imports SQLite; only the PostgreSQL store imports its client.
        for target in order {
            XCTAssertEqual(try imports(of: target).contains("CSQLite"), target == "LedgerStore", target)
            XCTAssertEqual(try imports(of: target).contains("PostgresNIO"), target == "PostgresStore", target)
        }
    }
}
