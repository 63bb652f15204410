#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A command run to completion in a process group of its own: input written to its standard
/// input, its standard output kept up to a limit, the tail of its standard error kept, and a
/// time limit after which the whole group is killed (a handler's own children die with it).
///
/// ```swift
/// let result = try ChildProcess.run(ChildProcess.Request(command: ["./agents/triage.sh"], input: Array(json.utf8),
///                                                        environment: ["REMEDY_STEP": "diagnose"], timeoutSeconds: 600))
/// if case .exited(0) = result.ending { ... }
/// ```
public enum ChildProcess {
    /// What to run and how.
    public struct Request: Sendable {
        /// The program (looked up on `PATH` when it has no `/`) and its arguments.
        public var command: [String]
        public var input: [UInt8]
        /// Variables added to (or replacing those of) this process's environment.
        public var environment: [String: String]
        public var timeoutSeconds: Double
        /// Standard output beyond this many bytes ends the process (``Ending/outputTooLarge``).
        public var outputLimit: Int
        /// How much of the end of standard error to keep.
        public var errorTailLimit: Int

        public init(command: [String], input: [UInt8], environment: [String: String] = [:], timeoutSeconds: Double,
                    outputLimit: Int = 1 << 20, errorTailLimit: Int = 4096) {
            self.command = command
            self.input = input
            self.environment = environment
            self.timeoutSeconds = timeoutSeconds
            self.outputLimit = outputLimit
            self.errorTailLimit = errorTailLimit
        }
    }

    /// How the process ended.
    public enum Ending: Sendable, Equatable {
        case exited(Int32)
        case signaled(Int32)
        /// It ran past its time limit; its process group was killed.
        case timedOut
        /// It wrote more than the output limit; its process group was killed.
        case outputTooLarge
    }

    public struct Result: Sendable {
        public var ending: Ending
        public var output: [UInt8]
        /// The last bytes of standard error, as text.
        public var errorTail: String
        public var milliseconds: Int
    }

    /// Runs `request` and waits for it (and for its output to close, or its time to run out).
    ///
    /// - Throws: ``SystemIOError`` (`.unreadable`) when the program cannot be started.
    public static func run(_ request: Request) throws -> Result {
        precondition(!request.command.isEmpty, "a command needs a program")
        let start = monotonicMilliseconds()
        var input: [Int32] = [0, 0], output: [Int32] = [0, 0], errors: [Int32] = [0, 0]
        guard pipe(&input) == 0, pipe(&output) == 0, pipe(&errors) == 0 else {
            throw SystemIOError(.unreadable, "cannot start \(request.command[0]): no pipe (\(errnoMessage()))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, input[0], 0)
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
        for descriptor in input + output + errors { posix_spawn_file_actions_addclose(&actions, descriptor) }
        closeInheritedDescriptors(&actions, keeping: input + output + errors)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A group of its own (so a timeout kills its children too), default signal handling.
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))

        var argv: [UnsafeMutablePointer<CChar>?] = request.command.map { strdup($0) }
        argv.append(nil)
        defer { argv.forEach { free($0) } }
        var envp: [UnsafeMutablePointer<CChar>?] = environment(adding: request.environment).map { strdup($0) }
        envp.append(nil)
        defer { envp.forEach { free($0) } }
        var pid = pid_t()
        let code = posix_spawnp(&pid, request.command[0], &actions, &attributes, argv, envp)
        close(input[0]); close(output[1]); close(errors[1])
        guard code == 0 else {
            close(input[1]); close(output[0]); close(errors[0])
            throw SystemIOError(.unreadable, "cannot start \(request.command[0]): \(errnoMessage(code))", code: code)
        }
        _ = fcntl(input[1], F_SETFL, fcntl(input[1], F_GETFL) | O_NONBLOCK)
        // A child that stops reading its input early must not end remedy with SIGPIPE.
        let previousPipeHandler = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previousPipeHandler) }

        var pump = Pump(input: request.input, inputDescriptor: input[1], outputDescriptor: output[0], errorDescriptor: errors[0],
                        outputLimit: request.outputLimit, errorTailLimit: request.errorTailLimit)
        let deadline = start + Int(request.timeoutSeconds * 1000)
        var ending: Ending?
        while pump.isOpen {
            let remaining = deadline - monotonicMilliseconds()
            if remaining <= 0 { ending = .timedOut; break }
            pump.step(timeoutMilliseconds: Int32(min(remaining, 1000)))
            if pump.output.count > request.outputLimit { ending = .outputTooLarge; break }
        }
        pump.closeAll()
        if ending != nil { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        while true {
            if ending == nil {
                // Output closed: wait for the exit, still within the time limit.
                let result = waitpid(pid, &status, WNOHANG)
                if result == pid { break }
                if result < 0 && errno != EINTR { break }
                if monotonicMilliseconds() >= deadline { ending = .timedOut; kill(-pid, SIGKILL); continue }
                usleep(2_000)
            } else {
                if waitpid(pid, &status, 0) >= 0 || errno != EINTR { break }
            }
        }
        if ending == nil {
            // Anything left in its group (a background child) goes with it.
            kill(-pid, SIGKILL)
            let signal = status & 0x7f
            ending = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
        }
        return Result(ending: ending!, output: pump.output, errorTail: String(decoding: pump.errorTail, as: UTF8.self),
                      milliseconds: monotonicMilliseconds() - start)
    }

    /// Nothing else of remedy's (the ledger's file, a server connection) reaches the child:
    /// glibc's `addclosefrom_np` (2.34 and later) when there is one, else each descriptor
    /// open now.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t, keeping pipes: [Int32]) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
            return
        }
        func close(_ name: String, _ own: Int32) {
            if let descriptor = Int32(name), descriptor > 2, descriptor != own, !pipes.contains(descriptor) {
                posix_spawn_file_actions_addclose(&actions, descriptor)
            }
        }
        if !forEachEntry(inFolder: "/proc/self/fd", close) { forEachEntry(inFolder: "/dev/fd", close) }
    }

    /// This process's environment with `additions` set.
    private static func environment(adding additions: [String: String]) -> [String] {
        var entries: [String] = []
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            let name = text.split(separator: "=", maxSplits: 1).first.map(String.init) ?? text
            if additions[name] == nil { entries.append(text) }
            pointer += 1
        }
        entries += additions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return entries
    }

    static func monotonicMilliseconds() -> Int {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int(spec.tv_sec) * 1000 + Int(spec.tv_nsec) / 1_000_000
    }
}

/// Moves bytes between remedy and a child with `poll`: input in, output and error out.
private struct Pump {
    var input: [UInt8]
    var written = 0
    var inputDescriptor: Int32
    var outputDescriptor: Int32
    var errorDescriptor: Int32
    let outputLimit: Int
    let errorTailLimit: Int
    var output: [UInt8] = []
    var errorTail: [UInt8] = []

    init(input: [UInt8], inputDescriptor: Int32, outputDescriptor: Int32, errorDescriptor: Int32, outputLimit: Int, errorTailLimit: Int) {
        self.input = input
        self.inputDescriptor = inputDescriptor
        self.outputDescriptor = outputDescriptor
        self.errorDescriptor = errorDescriptor
        self.outputLimit = outputLimit
        self.errorTailLimit = errorTailLimit
        if input.isEmpty { closeInput() }
    }

    /// Open while the child may still write.
    var isOpen: Bool { outputDescriptor >= 0 || errorDescriptor >= 0 }

    mutating func step(timeoutMilliseconds: Int32) {
        var descriptors: [pollfd] = []
        if inputDescriptor >= 0 { descriptors.append(pollfd(fd: inputDescriptor, events: Int16(POLLOUT), revents: 0)) }
        if outputDescriptor >= 0 { descriptors.append(pollfd(fd: outputDescriptor, events: Int16(POLLIN), revents: 0)) }
        if errorDescriptor >= 0 { descriptors.append(pollfd(fd: errorDescriptor, events: Int16(POLLIN), revents: 0)) }
        let ready = poll(&descriptors, nfds_t(descriptors.count), timeoutMilliseconds)
        guard ready > 0 else { return }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        for entry in descriptors where entry.revents != 0 {
            if entry.fd == inputDescriptor {
                let count = input.withUnsafeBytes { bytes in
                    write(inputDescriptor, bytes.baseAddress! + written, bytes.count - written)
                }
                if count > 0 { written += count }
                if count < 0 && errno != EAGAIN && errno != EINTR || written == input.count { closeInput() }
            } else {
                let count = chunk.withUnsafeMutableBytes { readSome(entry.fd, $0) }
                if count <= 0 {
                    close(entry.fd)
                    if entry.fd == outputDescriptor { outputDescriptor = -1 } else { errorDescriptor = -1 }
                } else if entry.fd == outputDescriptor {
                    output.append(contentsOf: chunk[0..<count])
                } else {
                    errorTail.append(contentsOf: chunk[0..<count])
                    if errorTail.count > errorTailLimit { errorTail.removeFirst(errorTail.count - errorTailLimit) }
                }
            }
        }
    }

    mutating func closeInput() {
        if inputDescriptor >= 0 { close(inputDescriptor) }
        inputDescriptor = -1
    }

    mutating func closeAll() {
        closeInput()
        if outputDescriptor >= 0 { close(outputDescriptor) }
        if errorDescriptor >= 0 { close(errorDescriptor) }
        outputDescriptor = -1
        errorDescriptor = -1
    }
}
