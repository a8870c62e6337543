import Glibc

/// Running another program (pamtester, unshare, perl) with posix_spawn: no shell, the
/// arguments passed as they are.
enum Subprocess {
    /// What a finished program produced: its exit status (128 + signal when killed) and
    /// its standard output and error, interleaved.
    struct Result {
        let status: Int32
        let output: String
    }

    /// Runs `arguments[0]` (looked up in PATH) with `input` on its stdin and collects
    /// stdout and stderr. Throws when the program cannot be started.
    static func run(_ arguments: [String], input: String = "") throws(SetupFailure) -> Result {
        let (inputPipe, outputPipe) = try twoPipes()
        feed(inputPipe[1], input)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inputPipe[0], STDIN_FILENO)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], STDERR_FILENO)
        let pid: pid_t
        do throws(SetupFailure) { pid = try spawn(arguments, actions: &actions) } catch {
            for fd in [inputPipe[0]] + outputPipe { close(fd) }
            throw error
        }
        close(inputPipe[0])
        close(outputPipe[1])
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(outputPipe[0], $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            output.append(contentsOf: buffer[0..<count])
        }
        close(outputPipe[0])
        return Result(status: wait(for: pid), output: String(decoding: output, as: UTF8.self))
    }

    /// What a finished program wrote, its standard output and error apart.
    struct Captured {
        let status: Int32
        let stdout: [UInt8]
        let stderr: [UInt8]
    }

    /// Runs `arguments[0]` (an absolute path) with `environment` only, `input` (a line or
    /// two: it must fit in a pipe) on its standard input, and collects its standard output
    /// and error apart. After `timeout` seconds it is killed (status 128 + 9).
    static func capture(_ arguments: [String], input: String = "", environment: [String],
                        timeout: Int32) throws(SetupFailure) -> Captured {
        let (outPipe, errPipe, inPipe) = try threePipes()
        feed(inPipe[1], input)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], STDIN_FILENO)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], STDERR_FILENO)
        let pid: pid_t
        do throws(SetupFailure) { pid = try spawn(arguments, actions: &actions, environment: environment) } catch {
            for fd in outPipe + errPipe + [inPipe[0]] { close(fd) }
            throw error
        }
        close(outPipe[1])
        close(errPipe[1])
        close(inPipe[0])
        var collected: [[UInt8]] = [[], []]
        var fds = [pollfd(fd: outPipe[0], events: Int16(POLLIN), revents: 0),
                   pollfd(fd: errPipe[0], events: Int16(POLLIN), revents: 0)]
        let deadline = time(nil) + Int(timeout)
        var open = 2
        var buffer = [UInt8](repeating: 0, count: 4096)
        while open > 0 {
            let left = deadline - time(nil)
            if left <= 0 {
                kill(pid, SIGKILL)
                break
            }
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(left, 1)) * 1000)
            if ready < 0 && errno != EINTR { break }
            for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(fds[index].fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 {
                    close(fds[index].fd)
                    fds[index].fd = -1
                    open -= 1
                } else {
                    collected[index].append(contentsOf: buffer[0..<count])
                }
            }
        }
        for entry in fds where entry.fd >= 0 { close(entry.fd) }
        return Captured(status: wait(for: pid), stdout: collected[0], stderr: collected[1])
    }

    /// Two pipes, close-on-exec: only the child's stdin, stdout and stderr (the dup2 copies)
    /// stay open in it.
    private static func twoPipes() throws(SetupFailure) -> ([Int32], [Int32]) {
        let first = try closeOnExecPipe()
        do throws(SetupFailure) { return (first, try closeOnExecPipe()) } catch {
            close(first[0]); close(first[1])
            throw error
        }
    }

    /// Three pipes, as `twoPipes`.
    private static func threePipes() throws(SetupFailure) -> ([Int32], [Int32], [Int32]) {
        let (first, second) = try twoPipes()
        do throws(SetupFailure) { return (first, second, try closeOnExecPipe()) } catch {
            for fd in first + second { close(fd) }
            throw error
        }
    }

    /// Writes `input` into the pipe `fd` and closes it, before the program starts: the input
    /// is a few short lines, which fit in the pipe, and a program that ends at once cannot
    /// raise SIGPIPE here.
    private static func feed(_ fd: Int32, _ input: String) {
        let bytes = Array(input.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { break }
            offset += written
        }
        close(fd)
    }

    private static func closeOnExecPipe() throws(SetupFailure) -> [Int32] {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw .io("cannot create a pipe: \(errnoText())") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return fds
    }

    /// Runs a program with this process's stdin, stdout and stderr; returns its exit status.
    static func runInheriting(_ arguments: [String]) throws(SetupFailure) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        return wait(for: try spawn(arguments, actions: &actions))
    }

    /// This program's own executable, for running one of its subcommands in a new namespace.
    static func ownExecutable() throws(SetupFailure) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { throw .io("cannot find my own executable (/proc/self/exe): \(errnoText())") }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Starts `arguments[0]` (looked up in PATH) with this process's environment, or with
    /// `environment` only (then the program's path must be absolute).
    static func spawn(_ arguments: [String], actions: inout posix_spawn_file_actions_t,
                      environment: [String]? = nil) throws(SetupFailure) -> pid_t {
        guard let program = arguments.first else { throw .io("no program to run") }
        var cArguments: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        cArguments.append(nil)
        defer { for pointer in cArguments { free(pointer) } }
        // The child starts with no signal blocked, whatever SignalDeferral holds back here.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var pid: pid_t = 0
        let result: Int32
        if let environment {
            var cEnvironment: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) }
            cEnvironment.append(nil)
            defer { for pointer in cEnvironment { free(pointer) } }
            result = posix_spawn(&pid, program, &actions, &attributes, cArguments, cEnvironment)
        } else {
            result = posix_spawnp(&pid, program, &actions, &attributes, cArguments, environ)
        }
        guard result == 0 else {
            throw .io("cannot run \(program): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// Waits for `pid` to end: its exit status, or 128 + the signal that ended it.
    private static func wait(for pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return 127 }
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, spelled out (the macros are not imported).
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
