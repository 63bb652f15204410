import Foundation
import XCTest
import SystemIO

final class LineReaderTests: XCTestCase {
    /// Lines of every length, crossing the reader's chunk boundaries many times, come back
    /// exactly; CRLF endings and a last line without a newline included.
    func testLinesAcrossChunkBoundaries() throws {
        let folder = NSTemporaryDirectory() + "remedy-lines-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var random = SystemRandomNumberGenerator()
        var expected: [String] = []
        var text = ""
        var total = 0
        while total < 3_000_000 {
            let length = [0, 1, 7, 300, 4096, 70_000, 262_143, 262_144, 300_001].randomElement(using: &random)!
            let line = String(repeating: Character(UnicodeScalar(UInt8(97 + expected.count % 26))), count: length)
            expected.append(line)
            text += line + (expected.count % 3 == 0 ? "\r\n" : "\n")
            total += length + 1
        }
        text += "last"
        expected.append("last")
        let path = folder + "/lines.txt"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let reader = try LineReader(path: path, maximumLineLength: 1 << 20)
        var lines: [String] = []
        while let line = try reader.nextLine() { lines.append(String(decoding: line, as: UTF8.self)) }
        XCTAssertEqual(lines.count, expected.count)
        XCTAssertEqual(lines, expected)
        XCTAssertEqual(reader.lineNumber, expected.count)
    }

    func testALineOverTheLimitIsRefusedWithItsNumber() throws {
        let path = NSTemporaryDirectory() + "remedy-long-" + UUID().uuidString + ".txt"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ("short\n" + String(repeating: "x", count: 101) + "\nafter\n").write(toFile: path, atomically: true, encoding: .utf8)
        let reader = try LineReader(path: path, maximumLineLength: 100)
        XCTAssertEqual(try reader.nextLine().map { Array($0) }, Array("short".utf8))
        XCTAssertThrowsError(try reader.nextLine()) { error in
            XCTAssertEqual((error as? SystemIOError)?.kind, .tooLarge)
            XCTAssertEqual((error as? SystemIOError)?.message, "\(path): line 2: the line is longer than 100 bytes")
        }
        XCTAssertThrowsError(try LineReader(path: path + ".missing", maximumLineLength: 100)) { error in
            XCTAssertEqual((error as? SystemIOError)?.message, "cannot read \(path).missing: No such file or directory")
        }
    }
}
