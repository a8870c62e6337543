/// `ssh check`: sshd decides (the rules run on what `sshd -T` reports, for a connection
/// when given), and the line finder names the lines that cause each finding.
enum SshCheck {
    /// Asks sshd about its configuration file and builds the report; `finder` has read the
    /// same files.
    static func run(sshd: Sshd, finder: SshdLineFinder, connection: SshConnection?) throws(SetupFailure) -> SshCheckReport {
        let specification = connection?.specification
        let global: SshdSettings
        switch try sshd.settings(for: nil) {
        case .failure(let refusal):
            return rejected(refusal, configFile: sshd.configFile, connection: specification, finder: finder)
        case .success(let settings):
            global = settings
        }
        guard let connection else {
            return report(configFile: sshd.configFile, connection: nil, global: global, effective: global, finder: finder)
        }
        switch try sshd.settings(for: connection) {
        case .failure(let refusal):
            return rejected(refusal, configFile: sshd.configFile, connection: specification, finder: finder)
        case .success(let effective):
            return report(configFile: sshd.configFile, connection: specification, global: global, effective: effective, finder: finder)
        }
    }

    /// The report for settings sshd gave: `global` without a connection, `effective` for
    /// the one checked (the same when none was given).
    static func report(configFile: String, connection: String?, global: SshdSettings, effective: SshdSettings,
                       finder: SshdLineFinder) -> SshCheckReport {
        var items = SshSetupRules.findings(effective).map { finding in
            SshCheckReport.Item(rule: finding.rule, severity: finding.severity, message: finding.message,
                                causes: finding.keywords.flatMap { keyword in
                                    causes(of: keyword, effective: effective, global: global, finder: finder)
                                })
        }
        let cited = Set(items.flatMap { $0.causes.compactMap(\.match) })
        let globalRules = Set(SshSetupRules.findings(global).map(\.rule))
        for block in finder.matchBlocks() where !cited.contains(block.match) {
            let lines = block.lines.filter { SshSetupRules.keywords.contains($0.keyword) }
            guard !lines.isEmpty else { continue }
            let undone = SshSetupRules.findings(global.overlaid(with: lines))
                .filter { $0.severity == .problem && !globalRules.contains($0.rule) }
            guard !undone.isEmpty else { continue }
            let keywords = Set(undone.flatMap(\.keywords))
            var firstOfEach: Set<String> = []
            let shown = lines.filter { keywords.contains($0.keyword) && firstOfEach.insert($0.keyword).inserted }
            items.append(SshCheckReport.Item(
                rule: .match, severity: .warning,
                message: "'\(block.match.text)' (\(block.match.reference)) undoes the set-up for the connections it matches: "
                    + undone.map(\.message).joined(separator: "; ")
                    + " (check one with 'swift-2fa-setup ssh check --user NAME --addr ADDRESS')",
                causes: shown.map { SshCheckReport.Cause(location: $0.location, match: $0.match, defaultSetting: nil) }))
        }
        return SshCheckReport(sshdConfig: configFile, connection: connection,
                              settings: effective.values.filter { SshSetupRules.keywords.contains($0.key) }, findings: items)
    }

    /// The report when sshd refused the configuration: its words, and the line that
    /// switches off a method an AuthenticationMethods list names.
    static func rejected(_ refusal: Sshd.Refusal, configFile: String, connection: String?,
                         finder: SshdLineFinder) -> SshCheckReport {
        let output = refusal.output.split(whereSeparator: \.isNewline).map(String.init)
        var keywords: [String] = []
        for line in output {
            guard line.hasPrefix("Disabled method \""),
                  let method = line.dropFirst("Disabled method \"".count).split(separator: "\"").first,
                  let keyword = SshSetupRules.methodSwitches[String(method.prefix { $0 != ":" })],
                  !keywords.contains(keyword) else { continue }
            keywords.append(keyword)
        }
        let causes = keywords.flatMap { keyword in
            finder.globalLines(keyword).prefix(1).map { SshCheckReport.Cause(location: $0.location, match: nil, defaultSetting: nil) }
        }
        let item = SshCheckReport.Item(rule: .rejected, severity: .problem,
                                       message: "sshd refused the configuration: " + refusal.summary, causes: causes)
        return SshCheckReport(sshdConfig: configFile, connection: connection, settings: [:], findings: [item])
    }

    /// The lines that give `keyword` its effective value, or sshd's default.
    private static func causes(of keyword: String, effective: SshdSettings, global: SshdSettings,
                               finder: SshdLineFinder) -> [SshCheckReport.Cause] {
        let lines = finder.causes(of: keyword, value: effective[keyword], globalValue: global[keyword])
        guard !lines.isEmpty else {
            return [SshCheckReport.Cause(location: nil, match: nil, defaultSetting: "\(keyword) \(effective[keyword])")]
        }
        return lines.map { SshCheckReport.Cause(location: $0.location, match: $0.match, defaultSetting: nil) }
    }
}
