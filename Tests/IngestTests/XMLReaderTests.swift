import Foundation
import Testing
@testable import Ingest

/// Hands out bytes a few at a time, so every token crosses chunk boundaries somewhere.
struct TrickleByteSource: ByteSource {
    var bytes: [UInt8]
    var offset = 0
    let step: Int

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = min(step, buffer.count, bytes.count - offset)
        for i in 0..<count { buffer[i] = bytes[offset + i] }
        offset += count
        return count
    }
}

@Suite struct XMLReaderTests {
    static let document = """
        <?xml version="1.0" encoding="UTF-8"?>
        <?xml-stylesheet href="x.xsl"?>
        <!-- a comment with <tags> & ampersands -->
        <testsuites name="s&amp;t">
          <testsuite name="Ünïcödé 日本語 🧪" tests="2">
            <testcase name="multi
        line	attr" classname="a&lt;b&gt;c&quot;&apos;&#10;&#x1F9EA;"/>
            <testcase name="two"><failure message="m">text &amp; more 🧪 <![CDATA[raw <b>&</b> ]] ]]> tail</failure></testcase>
          </testsuite>
        </testsuites>
        """

    private func tokens(_ text: String, step: Int, keepText: Bool = true) throws -> [XMLToken] {
        let reader = XMLReader(source: TrickleByteSource(bytes: Array(text.utf8), step: step), name: "doc.xml")
        reader.keepsText = keepText
        var out: [XMLToken] = []
        while let token = try reader.next() {
            // Join adjacent text pieces: how text is split is the reader's business.
            if case .text(let piece) = token, case .text(let previous)? = out.last {
                out[out.count - 1] = .text(previous + piece)
            } else {
                out.append(token)
            }
        }
        return out
    }

    @Test(arguments: [1, 2, 3, 7, 64, 1 << 20])
    func sameTokensWhateverTheChunkSize(step: Int) throws {
        #expect(try tokens(Self.document, step: step) == (try tokens(Self.document, step: 1 << 20)))
    }

    @Test func attributesAreDecodedAndNormalized() throws {
        let all = try tokens(Self.document, step: 5)
        let starts = all.compactMap { token -> (String, [XMLAttribute])? in
            if case .start(let name, let attributes) = token { return (name, attributes) } else { return nil }
        }
        #expect(starts.map(\.0) == ["testsuites", "testsuite", "testcase", "testcase", "failure"])
        #expect(starts[0].1 == [XMLAttribute(name: "name", value: "s&t")])
        #expect(starts[1].1.first?.value == "Ünïcödé 日本語 🧪")
        #expect(starts[2].1 == [XMLAttribute(name: "name", value: "multi line attr"),
                                XMLAttribute(name: "classname", value: "a<b>c\"'\n🧪")])
        let failureText = all.compactMap { token -> String? in if case .text(let t) = token, t.contains("more") { return t } else { return nil } }
        #expect(failureText == ["text & more 🧪 raw <b>&</b> ]]  tail"])
    }

    @Test(arguments: [
        ("<a><b></a>", "line 1: mismatched tag: </a> closes <b>"),
        ("<a>", "ends inside <a> (truncated?)"),
        ("<a x=1/>", "is not quoted"),
        ("<a x='1' x='2'/>", "appears twice"),
        ("<a>&nbsp;</a>", "undefined entity '&nbsp;'"),
        ("<a>fish & chips</a>", "a bare '&'"),
        ("<a>&#0;</a>", "not a legal XML 1.0 character"),
        ("<a/><b/>", "a second root element"),
        ("<a/>junk", "text after the root element"),
        ("junk<a/>", "text before the root element"),
        ("<!DOCTYPE a [<!ENTITY x 'y'>]><a/>", "DOCTYPE (DTD) is not accepted"),
        ("<?xml version='1.0'?>", "no root element"),
        ("", "the report is empty"),
        ("<a>\n\n<b>\u{7}</b></a>", "line 3: the control character 0x7"),
        (" <?xml version='1.0'?><a/>", "the XML declaration is not at the start"),
        ("<a><!-- never closed </a>", "ends inside a comment"),
        ("<1a/>", "may not start with '1'"),
        ("<a>&#+65;</a>", "not a legal XML 1.0 character"),
        ("<a><!-- a -- b --></a>", "'--' inside a comment"),
        ("<a>\u{FFFF}</a>", "noncharacter U+FFFF"),
        ("<a>x ]]> y</a>", "']]>' in text"),
    ])
    func malformedDocumentsAreRefusedWithTheirLine(text: String, fragment: String) {
        for step in [1, 1 << 20] {
            let error = #expect(throws: IngestError.self) { _ = try tokens(text, step: step, keepText: step == 1) }
            #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "no error")")
            #expect(error?.message.hasPrefix("doc.xml") == true)
        }
    }

    @Test func declarationsMayHaveWhiteSpaceAroundTheirEquals() throws {
        #expect(try tokens("<?xml version\t=\n'1.0' encoding = \"UTF-8\"?><a/>", step: 3).count == 2)
    }

    @Test func invalidUTF8IsRefusedEvenWhenSplitAcrossChunks() {
        var bytes = Array("<a>caf".utf8) + [0xE9] + Array("!</a>".utf8)
        for step in 1...5 {
            let reader = XMLReader(source: TrickleByteSource(bytes: bytes, step: step), name: "x")
            #expect(throws: IngestError.self) { while try reader.next() != nil {} }
        }
        bytes = Array("<a>".utf8) + Array("é😀".utf8) + Array("</a>".utf8)
        for step in 1...5 {
            let reader = XMLReader(source: TrickleByteSource(bytes: bytes, step: step), name: "x")
            #expect(throws: Never.self) { while try reader.next() != nil {} }
        }
    }

    /// Text is passed eight ASCII bytes at a time: a byte it must refuse is found at any
    /// offset in a word, and every byte of 0x20-0x7F and tab, newline and return is let by.
    @Test func everyDisallowedByteIsFoundWhereverItFalls() {
        let plain = Array("the quick brown fox jumps over a lazy dog\t\r\n 0123456789 ~!@#".utf8)
        func problem(_ bytes: [UInt8]) -> Int? {
            bytes.withUnsafeBufferPointer { XMLReader.firstTextProblem(in: $0, 0..<bytes.count)?.0 }
        }
        #expect(problem(plain) == nil)
        #expect(problem(Array(0x20...0x7F) + [0x09, 0x0A, 0x0D]) == nil)
        for bad: [UInt8] in [[0x00], [0x01], [0x1F], [0x0B], [0x80], [0xC0, 0x80], [0xFF], [0xEF, 0xBF, 0xBE]] {
            for offset in 0..<17 {
                var bytes = plain
                bytes.insert(contentsOf: bad, at: offset)
                #expect(problem(bytes) == offset, "bytes \(bad) at \(offset)")
            }
        }
    }
}
