import ArgumentParser
import TwoFactorStore

/// `report`: the accounts that can log in, and how far the second factor covers them.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "List the accounts that can log in with their enrollment, lock, backup codes, last login with a code and exemption.",
        discussion: """
            An account can log in when its shell is usable (not nologin or false, and listed in \
            /etc/shells or executable), it has not expired, and it has a usable password hash or \
            an ~/.ssh/authorized_keys file; accounts come from the name service (getpwent), not \
            from /etc/passwd. For each: not enrolled, pending or enrolled (with its number of \
            credentials), locked or throttled, backup codes left, the last login accepted with \
            a code (file store: recorded since this version; fleet: the audit log), and the rule \
            that exempts it. With --service, the rules are those of SERVICE's module line \
            (exempt_group, require_group, with the configuration file it names); exempt_network \
            depends on where a login comes from and is only mentioned. The same store as a login \
            is read: the configuration file's (files or the fleet database), or --config/--store. \
            Exit status 0, also when accounts are not enrolled ('pam require' refuses then); 74 \
            when an enrollment cannot be read. Needs root.

            EXAMPLES:
              sudo swift-2fa-setup report
              sudo swift-2fa-setup report --service sshd --group staff
              sudo swift-2fa-setup report --service sudo --json

            \(ExitStatus.helpText)
            """)

    @Option(help: ArgumentHelp("Only the members of this group (primary or supplementary).", valueName: "group"))
    var group: String?

    @Option(help: ArgumentHelp("The PAM service whose module line gives the exemptions and the store.", valueName: "service"))
    var service: String?

    @Flag(help: "Print one JSON object: the accounts and the notes.")
    var json = false

    @OptionGroup var files: StoreOptions

    @OptionGroup var directory: PamDirectoryOption

    func run() throws {
        let coverage = try Coverage.collect(service: service, pamDirectory: try directory.resolve(), group: group,
                                            configPath: files.config, storeDirectory: files.store)
        if json {
            try Output.json(ReportOutput(service: JSONNullable(service), accounts: coverage.rows, notes: coverage.notes))
        } else {
            print(coverage)
        }
        if coverage.rows.contains(where: { $0.problem != nil }) { throw SetupFailure.reported(.ioError) }
    }

    /// The table, the notes and a summary line.
    private func print(_ coverage: Coverage) {
        let rows = coverage.rows
        let header = ["USER", "STATUS", "CREDENTIALS", "LOCK", "BACKUP", "LAST 2FA LOGIN", "EXEMPT"]
        let cells = rows.map { row in
            [row.user, row.state, row.status?.credentialCount.map(String.init) ?? "-", row.lock ?? "-",
             row.status?.backupCodesLeft.map(String.init) ?? "-", row.status?.lastAccepted.map(Output.isoDate) ?? "-",
             row.exemption ?? "-"]
        }
        let widths = header.indices.map { column in ([header] + cells).map { $0[column].count }.max() ?? 0 }
        for line in [header] + cells {
            let text = line.indices.map { column in
                column == line.count - 1 ? line[column]
                    : line[column] + String(repeating: " ", count: widths[column] - line[column].count + 2)
            }.joined()
            Output.line(text)
        }
        for row in rows { if let problem = row.problem { Output.line("error: \(row.user): \(problem)") } }
        for note in coverage.notes { Output.line("note: \(note)") }
        let enrolled = rows.filter { $0.status?.phase == .enrolled }.count
        let exempt = rows.filter { $0.exemption != nil }.count
        Output.line("\(rows.count) accounts can log in: \(enrolled) enrolled, \(exempt) exempt, "
                    + "\(coverage.notCovered.count) asked for a code but not enrolled")
    }
}

/// The JSON object of `report --json`.
struct ReportOutput: Encodable {
    /// `null` without `--service`.
    let service: JSONNullable<String>
    let accounts: [AccountCoverage]
    let notes: [String]
}
