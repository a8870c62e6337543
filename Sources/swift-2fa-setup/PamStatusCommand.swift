import ArgumentParser

/// `pam status`: which services ask for the code, directly or through an included file.
struct PamStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List each service in /etc/pam.d: whether it asks for the code, and with which options.",
        discussion: """
            A service asks for the code when its auth stack loads pam_swift2fa.so, in its own \
            file or through an included one (@include common-auth, auth include|substack FILE), \
            as after pam-auth-update --enable swift-2fa. The options are those of that line.
            """)

    @OptionGroup var directory: PamDirectoryOption

    @Flag(help: "Print one JSON array, one object per service.")
    var json = false

    func run() throws {
        let dir = try directory.resolve()
        var rows: [PamServiceStatus] = []
        for service in try dir.services() {
            let use = try dir.moduleUse(service)
            rows.append(PamServiceStatus(service: service, asksForCode: use != nil,
                                         via: use?.via ?? [], options: use?.line.arguments ?? []))
        }
        if json {
            try Output.json(rows)
            return
        }
        let width = max(7, rows.map(\.service.count).max() ?? 0) + 2
        func padded(_ text: String, _ width: Int) -> String {
            text + String(repeating: " ", count: max(1, width - text.count))
        }
        Output.line(padded("SERVICE", width) + padded("CODE", 5) + padded("THROUGH", 14) + "OPTIONS")
        for row in rows {
            let through = row.asksForCode ? (row.via.isEmpty ? "-" : row.via.joined(separator: ">")) : ""
            let options = row.asksForCode ? (row.options.isEmpty ? "-" : row.options.joined(separator: " ")) : ""
            let text = padded(row.service, width) + padded(row.asksForCode ? "yes" : "no", 5) + padded(through, 14) + options
            Output.line(text.trimmingSuffixSpaces())
        }
    }
}

/// One row of `pam status`.
struct PamServiceStatus: Encodable {
    let service: String
    let asksForCode: Bool
    /// The chain of included files that load the module; empty when the service's own file does.
    let via: [String]
    /// The module line's arguments, e.g. `nullok`.
    let options: [String]

    enum CodingKeys: String, CodingKey {
        case service, via, options
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
