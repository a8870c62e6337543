import ArgumentParser
import Glibc

// Entry point, and the one place that turns a failure into an exit status. Errors are
// reported as exactly one line, `swift-2fa-setup: ...`, on stderr, with the documented exit
// status; help and version go to stdout as usual.

/// The documented exit status of a failure of `kind`.
func exitStatus(of kind: SetupFailure.Kind) -> ExitStatus {
    switch kind {
    case .refused: return .refused
    case .notEnrolled: return .notEnrolled
    case .usage: return .usage
    case .ioError: return .ioError
    case .reported(let outcome): return exitStatus(of: outcome)
    }
}

/// Ends the program for `failure`: its line on stderr (none when the command already said
/// everything), then the exit status of its kind.
func end(with failure: SetupFailure) -> Never {
    if case .reported = failure.kind {} else { Output.error(failure.message) }
    exit(exitStatus(of: failure.kind).rawValue)
}

// The Swift runtime on Linux reads the arguments from /proc/self/cmdline. Without /proc (a
// chroot or rescue system that has not mounted it) they are empty, and the command would
// run its default action instead of the one asked for.
if CommandLine.arguments.isEmpty {
    end(with: .io("cannot read the command line: /proc is not mounted (in a chroot: mount -t proc proc /proc)"))
}
do {
    var command = try SetupCommand.parseAsRoot()
    try command.run()
} catch let failure as SetupFailure {
    end(with: failure)
} catch {
    let code = SetupCommand.exitCode(for: error)
    if code == .success {
        SetupCommand.exit(withError: error)
    }
    let message = SetupCommand.message(for: error)
        .split(whereSeparator: \.isNewline)
        .joined(separator: " ")
    // Argument parsing errors are usage errors; anything else unexpected is reported as I/O.
    end(with: SetupFailure(code == .validationFailure ? .usage : .ioError, "\(message) (see 'swift-2fa-setup help')"))
}
