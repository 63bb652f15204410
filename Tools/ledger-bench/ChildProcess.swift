#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One measured run of a command: wall time and the child's peak resident memory.
struct Measurement {
    var seconds: Double
    var peakRSSBytes: Int
    var status: Int32
}

/// Spawns a command with posix_spawn, waits with wait4, and reports what it cost.
enum ChildProcess {
    /// Runs `arguments` (the first is the program path) with stdin/stdout redirected to files.
    static func measure(_ arguments: [String], stdin: String = "/dev/null", stdout: String = "/dev/null") -> Measurement {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let start = monotonicSeconds()
        let rc = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        guard rc == 0 else {
            fatalError("cannot start \(arguments[0]): \(String(cString: strerror(rc)))")
        }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let elapsed = monotonicSeconds() - start
        return Measurement(seconds: elapsed, peakRSSBytes: Int(usage.ru_maxrss) * 1024, status: status)
    }

    static func monotonicSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Starts `arguments` with stdout to a file and returns its pid without waiting.
    static func start(_ arguments: [String], stdout: String) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let rc = posix_spawn(&pid, arguments[0], &actions, nil, argv, environ)
        guard rc == 0 else { fatalError("cannot start \(arguments[0]): \(String(cString: strerror(rc)))") }
        return pid
    }

    /// Waits for a started child; returns its wait status.
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status
    }

    /// Runs `arguments` to completion and returns what it printed on stdout.
    static func capture(_ arguments: [String]) -> String {
        var template = Array("/tmp/ledger-bench-capture-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { return "" }
        close(descriptor)
        let path = String(cString: template)
        defer { unlink(path) }
        _ = measure(arguments, stdout: path)
        return LedgerBenchmark.readLines(path).joined(separator: "\n")
    }
}
