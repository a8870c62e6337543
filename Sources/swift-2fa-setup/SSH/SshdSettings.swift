/// The effective configuration `sshd -T` prints: one `keyword value` a line, keywords in
/// lower case. Only the first line of a keyword is kept (the ones that matter here appear once).
struct SshdSettings: Equatable, Sendable {
    private(set) var values: [String: String]

    /// Parses the output of `sshd -T`.
    init(sshdOutput: String) {
        var values: [String: String] = [:]
        for line in sshdOutput.split(whereSeparator: \.isNewline) {
            let keyword = line.prefix { $0 != " " }
            guard !keyword.isEmpty else { continue }
            let value = line.dropFirst(keyword.count).drop { $0 == " " }
            let name = SshdConfigLine.canonical(String(keyword))
            if values[name] == nil { values[name] = String(value) }
        }
        self.values = values
    }

    /// The value of `keyword` (lower case); the empty string when sshd did not print it.
    subscript(keyword: String) -> String { values[keyword] ?? "" }

    /// These settings with `lines` applied over them, the first line of each keyword
    /// winning (what a `Match` block does to the global settings).
    func overlaid(with lines: [SshdConfigLine]) -> SshdSettings {
        var copy = self
        var seen: Set<String> = []
        for line in lines where seen.insert(line.keyword).inserted {
            copy.values[line.keyword] = line.value
        }
        return copy
    }

    /// A value as sshd -T prints it, for comparing: lower case, single spaces.
    static func normalized(_ value: String) -> String {
        value.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
