import Testing
@testable import Ingest

/// The names of an `.eval` log's members: which are samples (and in what order they are
/// read), and which climb out of the archive's folder.
@Suite struct EvalMemberNameTests {
    @Test(arguments: [
        ("samples/1_epoch_1.json", 1, InspectEvalReader.SampleID.number(1)),
        ("samples/42_epoch_3.json", 3, .number(42)),
        ("samples/capital-of-france_epoch_1.json", 1, .name("capital-of-france")),
        ("samples/a_epoch_b_epoch_2.json", 2, .name("a_epoch_b")),
        ("samples/\u{E9}t\u{E9}_epoch_10.json", 10, .name("\u{E9}t\u{E9}")),
        ("samples/_epoch_1.json", 1, .name("")),
    ])
    func sampleMembersAreNamed(path: String, epoch: Int, id: InspectEvalReader.SampleID) {
        let name = InspectEvalReader.sampleName(path)
        #expect(name?.epoch == epoch && name?.id == id)
    }

    @Test(arguments: ["header.json", "samples/1_epoch_x.json", "samples/1.json", "samples/a/1_epoch_1.json",
                      "samples/1_epoch_1.json.bak", "samples/", "_journal/samples/1_epoch_1.json", "samples/1_epoch_.json",
                      "samples/.json", "samples/_epoch.json"])
    func otherMembersAreNotSamples(path: String) {
        #expect(InspectEvalReader.sampleName(path) == nil)
    }

    @Test(arguments: ["../evil.json", "samples/../../evil", "samples\\..\\evil", "/etc/passwd", "\\evil", "C:evil", "a/..", ".."])
    func namesThatClimbAreRefused(name: String) {
        #expect(throws: IngestError.self) { try ZipArchive.checkName(name, archive: "log.eval") }
    }

    @Test(arguments: ["samples/1_epoch_1.json", "a/.../b", "a/..b/c", "..a", "a..", "_journal/start.json", "a/./b", "."])
    func namesWithinTheFolderAreKept(name: String) throws {
        try ZipArchive.checkName(name, archive: "log.eval")
    }
}
