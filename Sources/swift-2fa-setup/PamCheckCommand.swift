import ArgumentParser

/// `pam check SERVICE`: try a service's stack with pamtester, changing nothing.
struct PamCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Try SERVICE's stack with pamtester (throw-away user and store; nothing on the host changes).",
        discussion: """
            In a private mount namespace: a user who has not enrolled (accepted with nullok, \
            refused without), an enrolled user with a wrong code (refused) and with a valid code \
            (accepted). Exit status 1 when a result is not the expected one. Needs root, \
            pamtester, unshare, setpriv and perl.
            """)

    @Argument(help: ArgumentHelp("The service: a file in the PAM directory.", valueName: "service"))
    var service: String

    @OptionGroup var directory: PamDirectoryOption

    /// Set by the copy of this command that `unshare` starts in the new namespace.
    @Flag(name: .customLong("in-namespace"), help: .hidden)
    var inNamespace = false

    func run() throws {
        try PamDirectory.validate(service: service)
        let dir = try directory.resolve()
        try requireRootForPam("check")
        guard try dir.read(service) != nil else { throw SetupFailure.io("\(dir.file(service)) does not exist") }
        let check = PamStackCheck(service: service, pamDirectory: dir.path)
        let passed = inNamespace ? try check.runHere() : try check.runIsolated()
        guard passed else {
            if inNamespace { throw ExitCode(ExitStatus.refused.rawValue) }
            throw SetupFailure(.refused, "the '\(service)' stack failed the check above")
        }
    }
}
