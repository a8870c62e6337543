import ArgumentParser
import PAMStack
import TwoFactorStore

/// `pam status`: which services ask for the code, directly or through an included file.
struct PamStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List each service in /etc/pam.d: whether it asks for the code, and with which options.",
        discussion: """
            A service asks for the code when its auth stack loads pam_swift2fa.so, in its own \
            file or through an included one (@include common-auth, auth include|substack FILE), \
            as after pam-auth-update --enable swift-2fa. The options are those of that line. \
            CODE is 'never' for a service that never authenticates (cron, atd, systemd-user, and \
            a stack that only denies, such as some systems' 'other'). After the table, 'exempt:' \
            lines give who each service does not ask (exempt_group, require_group, exempt_network, \
            from the configuration file and the module line). Warnings follow: a module line \
            the module would refuse; a stack that breaks the stack rules (see 'pam enable'), with its file and line, \
            including a split_answer line whose code no later use_first_pass line takes; services \
            that include common-auth but do not ask while the pam-auth-update profile is off; \
            and a sudo / sudo-i pair that differs.
            """)

    @OptionGroup var directory: PamDirectoryOption

    @Flag(help: "Print one JSON array, one object per service.")
    var json = false

    func run() throws {
        let dir = try directory.resolve()
        let services = try dir.services()
        var stacks: [String: AuthStack] = [:]
        for service in services { stacks[service] = try dir.authStack(service) }
        let profileOn = stacks[ServiceFacts.profileFile]?.asksForCode ?? false
        var rows: [PamServiceStatus] = []
        for service in services {
            guard let stack = stacks[service] else { continue }
            let report = StackRules.check(stack)
            let entry = stack.firstModuleEntry
            var options: [String] = []
            if let entry, case .module(let line, _) = entry.kind { options = line.arguments }
            var warnings = report.problems.map(\.description)
            let authenticates = ServiceFacts.authenticates(service, report: report)
            let includesCommonAuth = stack.entries.contains { $0.via.first == ServiceFacts.profileFile }
            if authenticates && !stack.asksForCode && !profileOn && includesCommonAuth
                && !PamDirectory.managedByPamAuthUpdate.contains(service) {
                warnings.append("includes \(ServiceFacts.profileFile), but the pam-auth-update profile is off: it does not ask for the code "
                                + "(swift-2fa-setup pam enable \(service), or pam-auth-update --enable swift-2fa)")
            }
            // The exemptions a login of this service applies: the configuration file, then the line.
            var exemptions: [String] = []
            if stack.asksForCode && authenticates {
                do throws(ConfigurationError) {
                    exemptions = try ConfigurationLoader.options(moduleArguments: options).exemptions.summary
                } catch {
                    warnings.append("the module refuses every login of this service: \(error.description)")
                }
            }
            rows.append(PamServiceStatus(service: service, asksForCode: stack.asksForCode && authenticates,
                                         authenticates: authenticates, via: entry?.via ?? [], options: options,
                                         exemptions: exemptions, warnings: warnings))
        }
        for (first, companions) in ServiceFacts.companions {
            guard let one = rows.firstIndex(where: { $0.service == first }) else { continue }
            for companion in companions {
                guard let other = rows.firstIndex(where: { $0.service == companion }),
                      rows[one].asksForCode != rows[other].asksForCode || rows[one].options != rows[other].options else { continue }
                let text = "\(first) and \(companion) differ (code: \(rows[one].code) / \(rows[other].code)"
                    + ", options: \(rows[one].optionsText) / \(rows[other].optionsText)); "
                    + "'swift-2fa-setup pam enable \(first)' covers both"
                rows[one].warnings.append(text)
                rows[other].warnings.append(text)
            }
        }
        if json {
            try Output.json(rows)
            return
        }
        let width = max(7, rows.map(\.service.count).max() ?? 0) + 2
        func padded(_ text: String, _ width: Int) -> String {
            text + String(repeating: " ", count: max(1, width - text.count))
        }
        Output.line(padded("SERVICE", width) + padded("CODE", 6) + padded("THROUGH", 14) + "OPTIONS")
        for row in rows {
            let through = row.asksForCode ? (row.via.isEmpty ? "-" : row.via.joined(separator: ">")) : ""
            let options = row.asksForCode ? row.optionsText : ""
            let text = padded(row.service, width) + padded(row.code, 6) + padded(through, 14) + options
            Output.line(text.trimmingSuffixSpaces())
        }
        for row in rows where !row.exemptions.isEmpty {
            Output.line("exempt: \(row.service): \(row.exemptions.joined(separator: " "))")
        }
        for row in rows {
            for warning in row.warnings { Output.line("warning: \(row.service): \(warning)") }
        }
    }
}

/// One row of `pam status`.
struct PamServiceStatus: Encodable {
    let service: String
    let asksForCode: Bool
    /// False for services that never call pam_authenticate or whose stack only denies.
    let authenticates: Bool
    /// The chain of included files that load the module; empty when the service's own file does.
    let via: [String]
    /// The module line's arguments, e.g. `nullok`.
    let options: [String]
    /// Who is not asked, from the configuration file and the line (`exempt_group=...`).
    let exemptions: [String]
    /// Broken stack rules (with file:line), and pairs or profile states to look at.
    var warnings: [String]

    /// The CODE column.
    var code: String { authenticates ? (asksForCode ? "yes" : "no") : "never" }

    var optionsText: String { options.isEmpty ? "-" : options.joined(separator: " ") }

    enum CodingKeys: String, CodingKey {
        case service, via, options, exemptions, authenticates, warnings
        case asksForCode = "asks_for_code"
    }
}

extension String {
    /// The text without trailing spaces.
    fileprivate func trimmingSuffixSpaces() -> String {
        var text = self
        while text.hasSuffix(" ") { text.removeLast() }
        return text
    }
}
