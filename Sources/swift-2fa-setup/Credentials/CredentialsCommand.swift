import ArgumentParser

/// `credentials`: a user's credentials (phones, hardware tokens): list, remove, rename.
struct CredentialsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "credentials",
        abstract: "List, remove or rename a user's credentials (apps and hardware tokens).",
        discussion: """
            A user holds 1 to 8 credentials; a code of any of them logs in. Add one with \
            'enroll --add --label LABEL'. A credential is named by its id or its label.

            EXAMPLES:
              swift-2fa-setup credentials list
              sudo swift-2fa-setup credentials list --user alice --json
              sudo swift-2fa-setup credentials rename --user alice 1 phone
              sudo swift-2fa-setup credentials remove --user alice old-phone
            """,
        subcommands: [CredentialsListCommand.self, CredentialsRemoveCommand.self, CredentialsRenameCommand.self],
        defaultSubcommand: CredentialsListCommand.self)
}
