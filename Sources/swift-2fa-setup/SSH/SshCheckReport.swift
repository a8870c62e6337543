/// The outcome of `ssh check`: the settings sshd reported, and each finding with the lines
/// that cause it. Printed as text, or as one JSON object with `--json`.
struct SshCheckReport: Encodable {
    /// A line that causes a finding, or sshd's default when no line sets the keyword.
    struct Cause: Encodable, Equatable {
        /// The file and line; nil for sshd's default.
        let location: SshdConfigLine.Location?
        /// The `Match` line of the block that holds the line.
        let match: SshdConfigLine.Location?
        /// For sshd's default: which keyword, with which value.
        let defaultSetting: String?

        var text: String {
            guard let location else { return "not set in any file: sshd's default \(defaultSetting ?? "")" }
            let block = match.map { " (in '\($0.text)' at \($0.reference))" } ?? ""
            return "\(location.reference): \(location.text)\(block)"
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(location?.file, forKey: .file)
            try container.encodeIfPresent(location?.line, forKey: .line)
            try container.encodeIfPresent(location?.text, forKey: .text)
            try container.encodeIfPresent(match, forKey: .match)
            try container.encodeIfPresent(defaultSetting, forKey: .defaultSetting)
        }

        private enum CodingKeys: String, CodingKey {
            case file, line, text, match
            case defaultSetting = "default"
        }
    }

    /// One finding with its causes.
    struct Item: Encodable {
        let rule: SshFinding.Rule
        let severity: SshFinding.Severity
        let message: String
        let causes: [Cause]
    }

    /// The main configuration file.
    let sshdConfig: String
    /// sshd's `-C` specification; nil (absent from the JSON) when the global settings were checked.
    let connection: String?
    /// The settings the rules read, as sshd reported them (empty when sshd refused).
    let settings: [String: String]
    let findings: [Item]

    /// True when nothing is a problem (warnings allowed).
    let passed: Bool

    init(sshdConfig: String, connection: String?, settings: [String: String], findings: [Item]) {
        self.sshdConfig = sshdConfig
        self.connection = connection
        self.settings = settings
        self.findings = findings
        passed = !findings.contains { $0.severity == .problem }
    }

    private enum CodingKeys: String, CodingKey {
        case settings, findings, passed, connection
        case sshdConfig = "sshd_config"
    }

    /// The report as lines of text.
    var lines: [String] {
        var lines: [String] = []
        let scope = connection.map { "for \($0)" } ?? "globally"
        if !settings.isEmpty {
            let shown = ["usepam", "kbdinteractiveauthentication", "authenticationmethods", "pubkeyauthentication", "passwordauthentication"]
            lines.append("sshd -T \(scope) (\(sshdConfig)): " + shown.map { "\($0) \(settings[$0] ?? "-")" }.joined(separator: ", "))
        }
        for item in findings {
            lines.append("\(item.severity == .problem ? "PROBLEM" : "WARNING"): \(item.message)")
            lines += item.causes.map { "  \($0.text)" }
        }
        if passed {
            lines.append(connection.map { "every login for \($0) goes through PAM's keyboard-interactive" }
                         ?? "the global settings send every login through PAM's keyboard-interactive")
        }
        return lines
    }
}
