import Foundation
import XCTest
@testable import LedgerStore

final class LineReaderTests: XCTestCase {
    /// Lines of every length, crossing the reader's chunk boundaries many times, come back
    /// exactly; CRLF endings and a last line without a newline included.
    func testLinesAcrossChunkBoundaries() throws {
        let folder = TemporaryFolder()
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
        let path = folder.file("lines.txt")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let reader = try LineReader(path: path)
        var lines: [String] = []
        while let line = try reader.nextLine() { lines.append(String(decoding: line, as: UTF8.self)) }
        XCTAssertEqual(lines.count, expected.count)
        XCTAssertEqual(lines, expected)
        XCTAssertEqual(reader.lineNumber, expected.count)
    }

    func testALineOverTheLimitIsRefusedWithItsNumber() throws {
        let folder = TemporaryFolder()
        let path = folder.file("long.txt")
        try ("short\n" + String(repeating: "x", count: 101) + "\nafter\n").write(toFile: path, atomically: true, encoding: .utf8)
        let reader = try LineReader(path: path, maximumLineLength: 100)
        XCTAssertEqual(try reader.nextLine().map { Array($0) }, Array("short".utf8))
        assertLedgerError(.invalidEvent, "line 2: the line is longer than 100 bytes") { try reader.nextLine() }
    }
}
