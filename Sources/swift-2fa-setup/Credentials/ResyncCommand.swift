import ArgumentParser
import Glibc
import TwoFactorCore
import TwoFactorStore

/// `resync`: realigns a hardware token whose counter ran ahead or whose clock is off, from
/// two consecutive codes (FreeIPA's `otptoken-sync`).
struct ResyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resync",
        abstract: "Resynchronise a credential from two consecutive codes (a HOTP counter or a TOTP clock offset).",
        discussion: """
            HOTP: the two codes are searched up to \(CredentialResync.hotpSearch) counters ahead, and the \
            counter moves past the second. TOTP: they are searched \(CredentialResync.totpSearch) steps either \
            side of the server's time, and the credential keeps the clock offset found (at most \
            \(Credential.offsetRange.upperBound) steps; fix a clock further off). Both codes are used up. Logins \
            report a drifting clock in the log and in 'status' (last drift) before it gets this far.

            EXAMPLES:
              sudo swift-2fa-setup resync --user alice --credential yubikey-5
              sudo swift-2fa-setup resync --user alice --credential 2 --first-code 123456 --second-code 654321

            \(ExitStatus.helpText)
            """)

    @OptionGroup var target: UserOptions

    @Option(help: ArgumentHelp("The credential's id or label.", valueName: "credential"))
    var credential: String

    @Option(name: .customLong("first-code"), help: ArgumentHelp("A code of the credential (asked for when absent).", valueName: "code"))
    var firstCode: String?

    @Option(name: .customLong("second-code"), help: ArgumentHelp("The code that follows it (asked for when absent).", valueName: "code"))
    var secondCode: String?

    func run() throws {
        let target = try target.resolve()
        let user = target.user
        let name = credential
        try target.requireEnrollment()
        let first = try firstCode ?? Self.ask("Enter a code of the credential: ")
        let second = try secondCode ?? Self.ask("Enter the next code it shows: ")
        let found = try storeCall { () throws(EnrollmentStoreError) in
            try target.enrollments.resyncCredential(user: user, name: name, first: first, second: second)
        }
        switch found.kind {
        case .hotp(let counter):
            Output.line("resynchronised: the token's next counter is \(counter) (\(found.shift) ahead of the last expected)")
        case .totp(let period, let offset):
            Output.line("resynchronised: the token's clock is \(offset) steps (about \(offset * period) s) off; "
                        + (offset == 0 ? "no offset is kept" : "the offset is kept for this credential"))
        }
    }

    private static func ask(_ prompt: String) throws(SetupFailure) -> String {
        Output.write(prompt)
        guard let line = readLine() else { throw SetupFailure(.refused, "no code entered; nothing was changed") }
        if isatty(STDIN_FILENO) == 0 { Output.line() }
        return line
    }
}
