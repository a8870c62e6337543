import Foundation
import Testing

/// man/swift-2fa-setup.1 cannot drift from the command: every subcommand and option that
/// `--help` shows is in the man page, and every command and option the man page
/// describes exists.
@Suite struct ManPageTests {
    /// The man page's text with roff's `\-` as `-` and font escapes dropped.
    static let manPage: String = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("man/swift-2fa-setup.1")
        let raw = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return raw.replacingOccurrences(of: "\\-", with: "-")
            .replacingOccurrences(of: #"\\f[BIRP]"#, with: "", options: .regularExpression)
    }()

    /// Lines of one `.SH` section of the man page.
    static func section(_ name: String) -> [Substring] {
        let lines = manPage.split(separator: "\n")
        guard let start = lines.firstIndex(of: Substring(".SH \(name)")) else { return [] }
        let rest = lines[(start + 1)...]
        return Array(rest.prefix { !$0.hasPrefix(".SH ") })
    }

    /// What `--help` of one command shows: its subcommands and its options.
    struct Help {
        var subcommands: [String] = []
        var options: Set<String> = []
    }

    static func help(_ path: [String]) throws -> Help {
        let result = try CLI.run(path + ["--help"])
        #expect(result.status == 0, "\(path) --help: \(result.stderr)")
        var help = Help()
        var current = ""
        for line in result.stdout.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && line.hasSuffix(":") { current = String(line); continue }
            if current == "SUBCOMMANDS:", line.hasPrefix("  "), !line.hasPrefix("   "),
               let name = line.split(separator: " ").first, !line.contains("See '") {
                help.subcommands.append(String(name))
            }
            if current == "OPTIONS:", line.hasPrefix("  -") {
                let definition = line.split(separator: " ", omittingEmptySubsequences: true)
                    .prefix { $0.hasPrefix("-") || $0.hasPrefix("<") }
                for word in definition where word.hasPrefix("--") {
                    help.options.insert(String(word.trimmingCharacters(in: CharacterSet(charactersIn: ","))))
                }
            }
        }
        return help
    }

    /// Every command path (`[]`, `["enroll"]`, `["pam", "enable"]`, ...) with its help.
    static func allCommands() throws -> [([String], Help)] {
        var result: [([String], Help)] = []
        var queue: [[String]] = [[]]
        while let path = queue.first {
            queue.removeFirst()
            let help = try help(path)
            result.append((path, help))
            queue += help.subcommands.map { path + [$0] }
        }
        return result
    }

    @Test func everyCommandAndOptionOfTheHelpIsInTheManPage() throws {
        let commands = try Self.allCommands()
        #expect(commands.count > 10, "help parsing found \(commands.count) commands")
        #expect(commands.contains { $0.0 == ["pam", "enable"] })
        for (path, help) in commands {
            if !path.isEmpty {
                let name = path.joined(separator: " ")
                #expect(Self.manPage.contains(".B \(name)\n") || Self.manPage.contains(".B \"\(name)\"")
                        || Self.manPage.contains(".BR \"\(name)\""),
                        "the man page has no entry '.B \(name)' in COMMANDS")
            }
            for option in help.options where option != "--help" && option != "--version" {
                #expect(Self.manPage.contains(option), "\(path) \(option) is not in the man page")
            }
        }
    }

    @Test func everyCommandAndOptionOfTheManPageExists() throws {
        let commands = try Self.allCommands()
        let paths = Set(commands.map { $0.0.joined(separator: " ") })
        let options = commands.reduce(into: Set<String>()) { $0.formUnion($1.1.options) }
        // The terms of `.TP` entries: the line right after each `.TP`.
        func terms(_ section: String) -> [Substring] {
            let lines = Self.section(section)
            return lines.indices.dropLast().filter { lines[$0] == ".TP" }.map { lines[$0 + 1] }
        }
        let commandTerms = terms("COMMANDS")
        #expect(commandTerms.count >= 10)
        for term in commandTerms {
            let name = term.drop { $0 != " " }.trimmingCharacters(in: CharacterSet(charactersIn: " \""))
            #expect(paths.contains(name), "the man page describes '\(name)', which is not a subcommand")
        }
        let optionTerms = terms("OPTIONS")
        #expect(optionTerms.count >= 10)
        for term in optionTerms {
            for word in term.split(whereSeparator: { " \",".contains($0) }) where word.hasPrefix("--") {
                #expect(options.contains(String(word)), "the man page describes \(word), which no --help shows")
            }
        }
    }
}
