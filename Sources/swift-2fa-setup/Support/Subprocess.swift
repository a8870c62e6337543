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
        var inputPipe: [Int32] = [-1, -1]
        var outputPipe: [Int32] = [-1, -1]
        guard pipe(&inputPipe) == 0 else { throw .io("cannot create a pipe: \(errnoText())") }
        guard pipe(&outputPipe) == 0 else {
            close(inputPipe[0]); close(inputPipe[1])
            throw .io("cannot create a pipe: \(errnoText())")
        }
        // Only the child's stdin, stdout and stderr (the dup2 copies) stay open in it.
        for fd in inputPipe + outputPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inputPipe[0], STDIN_FILENO)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], STDOUT_FILENO)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], STDERR_FILENO)
        let pid: pid_t
        do throws(SetupFailure) { pid = try spawn(arguments, actions: &actions) } catch {
            for fd in inputPipe + outputPipe { close(fd) }
            throw error
        }
        close(inputPipe[0])
        close(outputPipe[1])
        // The answers are a few short lines: they fit in the pipe before the program reads.
        let bytes = Array(input.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(inputPipe[1], $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { break }
            offset += written
        }
        close(inputPipe[1])
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

    private static func spawn(_ arguments: [String], actions: inout posix_spawn_file_actions_t) throws(SetupFailure) -> pid_t {
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
        let result = posix_spawnp(&pid, program, &actions, &attributes, cArguments, environ)
        guard result == 0 else {
            throw .io("cannot run \(program): \(String(cString: strerror(result)))")
        }
        return pid
    }

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
