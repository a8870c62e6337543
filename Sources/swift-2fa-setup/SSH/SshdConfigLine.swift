/// One line of an sshd configuration file that sets a keyword, where the line finder read
/// it: which file, which line, and the `Match` block (if any) it belongs to.
struct SshdConfigLine: Equatable, Sendable {
    /// Where a line is: file, 1-based line number and the line as written (trimmed).
    struct Location: Hashable, Sendable, Encodable {
        let file: String
        let line: Int
        let text: String

        /// `file:line`.
        var reference: String { "\(file):\(line)" }
    }

    let location: Location
    /// The keyword in lower case, aliases resolved (`challengeresponseauthentication` is
    /// `kbdinteractiveauthentication`).
    let keyword: String
    /// The arguments, unquoted.
    let arguments: [String]
    /// The `Match` line whose block holds this line; nil for a global line.
    let match: Location?

    /// The arguments as sshd -T prints a value: joined by one space, lower case.
    var value: String { SshdSettings.normalized(arguments.joined(separator: " ")) }

    /// Keywords that sshd reads as another one.
    static let aliases = ["challengeresponseauthentication": "kbdinteractiveauthentication"]

    /// The canonical, lower-case name of a keyword.
    static func canonical(_ keyword: String) -> String {
        let lower = keyword.lowercased()
        return aliases[lower] ?? lower
    }
}
