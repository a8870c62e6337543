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
              sudo swift-2fa-setup reset --user alice          lost phone: remove alice's enrollment

            \(ExitStatus.helpText)
            """,
        version: ProductVersion.current,
        subcommands: [
            EnrollCommand.self, ConfirmCommand.self, StatusCommand.self, VerifyCommand.self,
            BackupCodesCommand.self, DisableCommand.self, UnlockCommand.self, ResetCommand.self,
            ImportCommand.self, DbCommand.self, PamCommand.self,
            SshCommand.self,
        ],
        defaultSubcommand: EnrollCommand.self)
}
