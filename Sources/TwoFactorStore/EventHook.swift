import CDetachedRun
import Glibc
import TwoFactorCore

/// The admin's event hook (`notify =` in the configuration file): a program root runs for
/// each `HookEvent`, with the event as JSON on standard input. It runs detached (double
/// fork, its own session, an environment of PATH and LANG only, no inherited descriptor,
/// killed after `timeout` seconds), so it never delays or changes a login; a failing run is
/// logged once by the detached process (`s2fa_run_detached`).
///
/// The program must be a root-owned regular file that group and others cannot write, in a
/// root-owned directory chain they cannot write either (`TrustedPath.programProblem`).
/// Only a caller with root's effective uid runs it.
public struct EventHook: Equatable, Sendable {
    /// The program's absolute path.
    public let program: String
    /// Seconds after which the program is killed.
    public static let timeout: UInt32 = 10

    public init(program: String) {
        self.program = program
    }

    /// Starts the program for `event`. Nil when it was started; otherwise why not, in one
    /// line for the caller's log (an untrusted program, not root, no process).
    public func run(_ event: HookEvent, logIdentity: String) -> String? {
        guard geteuid() == 0 else { return "notify program \(program) not run: only root runs it" }
        if let problem = TrustedPath.programProblem(program) { return "notify program refused: \(problem)" }
        let json = Array(event.json.utf8)
        let started = json.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { text in
                s2fa_run_detached(program, text.baseAddress, text.count, Self.timeout, logIdentity)
            }
        }
        return started == 0 ? nil : "notify program \(program) not run: fork: \(errnoText())"
    }
}
