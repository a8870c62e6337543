import ArgumentParser
import Glibc

// Entry point. Errors are reported as exactly one line, `swift-2fa-setup: ...`, on
// stderr, with the documented exit status; help and version go to stdout as usual.
// The Swift runtime on Linux reads the arguments from /proc/self/cmdline. Without /proc (a
// chroot or rescue system that has not mounted it) they are empty, and the command would
// run its default action instead of the one asked for.
if CommandLine.arguments.isEmpty {
    Output.error("cannot read the command line: /proc is not mounted (in a chroot: mount -t proc proc /proc)")
    exit(ExitStatus.ioError.rawValue)
}
do {
    var command = try SetupCommand.parseAsRoot()
    try command.run()
} catch let failure as SetupFailure {
    Output.error(failure.message)
    exit(failure.status.rawValue)
} catch let code as ExitCode {
    // Thrown after the command already said everything (for example `status` of a user
    // who is not enrolled).
    exit(code.rawValue)
} catch {
    let code = SetupCommand.exitCode(for: error)
    if code == .success {
        SetupCommand.exit(withError: error)
    }
    let message = SetupCommand.message(for: error)
        .split(whereSeparator: \.isNewline)
        .joined(separator: " ")
    // Argument parsing errors are usage errors; anything else unexpected is reported as I/O.
    let status = code == .validationFailure ? ExitStatus.usage : ExitStatus.ioError
    Output.error("\(message) (see 'swift-2fa-setup help')")
    exit(status.rawValue)
}
