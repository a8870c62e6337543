import ArgumentParser
import PAMStack

/// `pam check SERVICE`: check a service's stack against the stack rules and try it with
/// pamtester, changing nothing.
struct PamCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check SERVICE's stack against the stack rules and try it with pamtester (nothing on the host changes).",
        discussion: """
            First the stack rules (see 'pam enable'): libpam's control flow is simulated for every \
            result of every module, and each broken rule is listed with its file and line, \
            including a split_answer line whose code no later use_first_pass line takes. Then, \
            in a private mount namespace with a throw-away user, a throw-away store and an empty \
            configuration file over the real one (a fleet database or another store named there \
            is never used): a user who has not enrolled (accepted with nullok, refused without), \
            an enrolled user with a wrong password and a valid code (refused, no failure \
            counted), with a wrong code (refused) and with a valid code (accepted). Exit status 1 \
            when a rule is broken or a result is not the expected one. Needs root, pamtester, \
            unshare, setpriv and perl, and a system where / is a mount point (not a plain chroot).
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
        if inNamespace {
            guard try check.runHere() else { throw SetupFailure.reported(.refused) }
            return
        }
        let report = StackRules.check(try dir.authStack(service))
        if report.isSound {
            Output.line("the '\(service)' stack keeps the stack rules")
        } else {
            for problem in report.problems { Output.line("  FAILED: \(problem)") }
        }
        for note in report.notes { Output.line("  note: \(note)") }
        let passed = try check.runIsolated()
        guard passed && report.isSound else {
            throw SetupFailure(.refused, "the '\(service)' stack failed the check above")
        }
    }
}
