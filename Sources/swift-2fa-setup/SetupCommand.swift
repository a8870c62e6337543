import ArgumentParser
import TwoFactorCore

/// The root command: `enroll` when no subcommand is named.
struct SetupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swift-2fa-setup",
        abstract: "Enroll and manage TOTP two-factor authentication for pam_swift2fa.",
        discussion: """
            Without a subcommand, 'enroll' runs: it shows a QR code, the secret and the otpauth URI, \
            asks for a code from the app, and activates only when that code is right.

            EXAMPLES:
              swift-2fa-setup                                  enroll yourself interactively
              sudo swift-2fa-setup enroll --user alice         enroll alice (root)
              swift-2fa-setup enroll --add --label phone2      add a second phone
              sudo swift-2fa-setup reset --user alice          lost phone: remove alice's enrollment
              sudo swift-2fa-setup report --service sshd       who can log in and is not enrolled yet

            \(ExitStatus.helpText)
            """,
        version: ProductVersion.current,
        subcommands: [
            EnrollCommand.self, ConfirmCommand.self, StatusCommand.self, VerifyCommand.self,
            CredentialsCommand.self, ResyncCommand.self, BackupCodesCommand.self, DisableCommand.self, UnlockCommand.self, ResetCommand.self,
            ImportCommand.self, ReportCommand.self, DbCommand.self, PamCommand.self,
            SshCommand.self, ServeUserCommand.self, StateCommand.self,
        ],
        defaultSubcommand: EnrollCommand.self)
}
