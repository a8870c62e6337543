import ArgumentParser

/// `ssh disable`: remove the drop-in `ssh enable` wrote, and nothing else.
struct SshDisableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: "Remove the sshd drop-in \(SshDropIn.name) that 'ssh enable' wrote, test with sshd -t, print the reload command.",
        discussion: """
            Only a file that 'ssh enable' wrote (its first line says so) is removed; no other \
            file changes. When sshd -t refuses the configuration without it (a line elsewhere \
            relies on it), it is put back and the exit status is 74.

            EXAMPLES:
              sudo swift-2fa-setup ssh disable

            \(ExitStatus.helpText)
            """)

    @OptionGroup var config: SshdConfigOption

    func run() throws {
        let (sshd, finder) = try config.resolve()
        try requireRootForSsh("disable")
        guard let dropIn = SshDropIn.locate(mainFile: sshd.configFile, finder: finder) else {
            Output.line("\(sshd.configFile) includes no sshd_config.d, so no \(SshDropIn.name); nothing to do")
            return
        }
        guard let previous = try dropIn.read() else {
            Output.line("\(dropIn.path) does not exist; nothing to do")
            return
        }
        guard previous.hasPrefix(SshDropIn.marker) else {
            throw SetupFailure.io("\(dropIn.path) was not written by 'ssh enable'; not removed")
        }
        let deferral = SignalDeferral()
        defer { deferral.end() }
        try dropIn.remove()
        if let refusal = try sshd.test() {
            do throws(SetupFailure) { try dropIn.write(previous) } catch {
                throw SetupFailure.io("sshd -t refuses the configuration without \(dropIn.path) (\(refusal.summary)), "
                                      + "and it COULD NOT be put back (\(error.message)); 'swift-2fa-setup ssh enable' writes it again")
            }
            throw SetupFailure.io("sshd -t refuses the configuration without \(dropIn.path): \(refusal.summary); put it back")
        }
        Output.line("removed \(dropIn.path)")
        Output.line("Next: reload sshd (systemctl reload ssh).")
    }
}
