import Testing
import TwoFactorCore

/// Every subcommand has --help with an example, and the exit statuses are documented.
@Suite struct HelpTests {
    @Test(arguments: ["enroll", "confirm", "status", "verify", "backup-codes", "disable", "unlock", "reset", "import"])
    func subcommandHelpHasAnExample(command: String) throws {
        let result = try CLI.run([command, "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("EXAMPLES:"))
        #expect(result.stdout.contains("swift-2fa-setup \(command)"))
        #expect(result.stdout.contains("74  I/O or permission error"))
        // Every subcommand takes the options that say where the user's files are and which
        // configuration file applies, as the module's config=, store= and secret= do.
        for option in ["--config <file>", "--store <dir>", "--user <name>", "--secret-file <path>"] {
            #expect(result.stdout.contains(option), "\(command) --help lacks \(option)")
        }
    }

    /// The `ssh` commands work on sshd's files, not on a user's: an example and the exit statuses.
    @Test(arguments: [["ssh"], ["ssh", "check"], ["ssh", "enable"], ["ssh", "disable"]])
    func sshHelpHasAnExample(command: [String]) throws {
        let result = try CLI.run(command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("EXAMPLES:"))
        #expect(result.stdout.contains("swift-2fa-setup \(command.joined(separator: " "))"))
        #expect(result.stdout.contains("74  I/O or permission error"))
        #expect(command.count == 1 || result.stdout.contains("--sshd-config <file>"))
    }

    @Test func topLevelHelpListsCommandsAndExitStatus() throws {
        let result = try CLI.run(["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("enroll (default)"))
        for status in ["0   success", "1   wrong code", "2   not enrolled", "64  usage error", "74  I/O"] {
            #expect(result.stdout.contains(status))
        }
    }

    @Test("--version prints the product version and nothing else")
    func version() throws {
        let result = try CLI.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout == ProductVersion.current + "\n")
        #expect(result.stderr.isEmpty)
    }
}
