import Foundation
import Glibc

/// What one run of a program produced.
public struct ProgramResult: Sendable {
    /// The exit status, or 128 + the signal that ended the program.
    public let status: Int32
    /// Everything it wrote to its standard output.
    public let stdout: String
    /// Everything it wrote to its standard error (empty with `errorsToOutput`).
    public let stderr: String

    /// A result from its parts (e.g. a transcript cleaned up after the run).
    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Runs a program to its end and collects its output.
public enum Program {
    /// Runs `path` with `arguments`, `input` on its standard input and `environment` (default:
    /// this process's), and waits for it. Its output goes to files, so a program that writes a
    /// lot never blocks on a pipe. It starts with default signal handling and no blocked
    /// signals (a test runner may ignore SIGCHLD or SIGPIPE, which runuser or pg_ctl must not
    /// inherit). With `errorsToOutput`, standard error goes to standard output (`2>&1`).
    public static func run(_ path: String, _ arguments: [String], input: String = "",
                           environment: [String: String]? = nil,
                           errorsToOutput: Bool = false) throws(FixtureError) -> ProgramResult {
        let scratch = try TemporaryDirectory("s2fa-run")
        try scratch.write(input, to: "in")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, scratch.file("in"), O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, scratch.file("out"), O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        if errorsToOutput {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, scratch.file("err"), O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var cArguments = ([path] + arguments).map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        let variables = environment ?? ProcessInfo.processInfo.environment
        var cEnvironment = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { cEnvironment.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, path, &actions, &attributes, &cArguments, &cEnvironment)
        guard spawned == 0 else { throw FixtureError(text: "cannot run \(path): error \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exited = (status & 0x7f) == 0
        return ProgramResult(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f),
                             stdout: scratch.read("out") ?? "", stderr: scratch.read("err") ?? "")
    }
}
