import ArgumentParser
import PAMStack

/// `pam require SERVICE`: take `nullok` off once every account in scope is enrolled.
struct PamRequireCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "require",
        abstract: "Remove nullok from SERVICE's module line once every account that can log in is enrolled or exempt.",
        discussion: """
            The accounts in scope are those of 'report --service SERVICE': every account that \
            can log in, minus those SERVICE's exempt_group / require_group leave out. When one \
            of them is not enrolled (pending, not enrolled, or its enrollment unreadable), they \
            are listed, nothing changes and the exit status is 1; --force removes nullok anyway. \
            Otherwise nullok goes from the module line in /etc/pam.d/SERVICE (and sudo-i for \
            sudo), as 'pam enable' edits: a backup SERVICE.swift-2fa.bak unless one is kept, an \
            atomic replace, a try with pamtester (an account that has not enrolled must now be \
            refused) and the old file back if the try fails. A module line that comes through \
            an included file (common-auth) is not changed here. 'pam allow-unenrolled SERVICE' \
            puts nullok back.

            EXAMPLES:
              sudo swift-2fa-setup report --service sshd     who is not enrolled yet
              sudo swift-2fa-setup pam require sshd          refuse SSH logins without a code
              sudo swift-2fa-setup pam allow-unenrolled sshd undo it

            \(ExitStatus.helpText)
            """)

    @Argument(help: ArgumentHelp("The service: a file in the PAM directory.", valueName: "service"))
    var service: String

    @Flag(help: "Remove nullok even when accounts in scope are not enrolled (they can no longer log in through SERVICE).")
    var force = false

    @Flag(name: .customLong("no-check"), help: "Do not try the new stack with pamtester (for a staged PAM directory or a chroot).")
    var noCheck = false

    @OptionGroup var files: StoreOptions

    @OptionGroup var directory: PamDirectoryOption

    func run() throws {
        try PamDirectory.validate(service: service)
        let dir = try directory.resolve()
        let change = NullokChange(allowed: false, service: service, directory: dir, check: !noCheck)
        let plans = try change.plans()
        guard !plans.isEmpty else { return }
        let coverage = try Coverage.collect(service: service, pamDirectory: dir, group: nil,
                                            configPath: files.config, storeDirectory: files.store)
        let missing = coverage.notCovered
        for row in missing {
            Output.line("not enrolled: \(row.user) (\(row.problem.map { "unreadable: \($0)" } ?? row.state))")
        }
        if !missing.isEmpty {
            guard force else {
                throw SetupFailure(.refused, "\(missing.count) account(s) that can log in through \(service) are not enrolled; "
                                   + "nothing changed (enroll them, exempt them, or use --force)")
            }
            Output.line("--force: they can no longer log in through \(service)")
        }
        try change.apply(plans)
    }
}
