#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import SystemIO

#if FUZZING
import RemedyFuzzDriver

/// The program's entry under the fuzzer (SwiftPM names an executable's entry point after its
/// product): libFuzzer's driver takes the arguments.
@_cdecl("remedy_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    remedy_fuzz_run(argc, argv)
}

/// libFuzzer's entry: built with `-sanitize=fuzzer,address -parse-as-library -DFUZZING`
/// (`Tools/fuzz/run-fuzzers.sh`), the target named by `REMEDY_FUZZ_TARGET`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzEntry.target.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

enum FuzzEntry {
    static let target: FuzzTarget = {
        let name = getenv("REMEDY_FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            FuzzEntry.complain("REMEDY_FUZZ_TARGET must be one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
            exit(64)
        }
        return target
    }()
}
#else
/// Without the fuzzer: runs a target on files (a crash the fuzzer found, a corpus), as the
/// regression tests do. `remedy-fuzz TARGET FILE...`
@main
enum FuzzEntry {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
            complain("usage: remedy-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE...")
            exit(64)
        }
        for path in arguments.dropFirst() {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0, let bytes = try? readAll(descriptor, name: path, limit: 64 << 20, tooLarge: "\(path) is over 64 MiB") else {
                complain("cannot read \(path)")
                exit(66)
            }
            close(descriptor)
            target.run(bytes)
        }
        print("\(arguments.count - 1) inputs ran through \(name) without a crash")
    }
}
#endif

extension FuzzEntry {
    /// One line on standard error.
    static func complain(_ text: String) {
        _ = Array((text + "\n").utf8).withUnsafeBytes { writeAll(2, $0) }
    }
}
