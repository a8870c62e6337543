import Glibc

/// Reads sshd's configuration files as sshd does (the main file, `Include` in place with
/// its glob sorted, relative patterns under /etc/ssh, `Match` blocks ending at the next
/// `Match` or at the end of their file) to say which line sets a keyword. It only points at
/// causes: whether a set-up is right is decided from `sshd -T`, never from this reading.
struct SshdLineFinder {
    /// Where sshd resolves a relative `Include`.
    static let configDirectory = "/etc/ssh"
    /// sshd's limit on nested includes.
    static let maximumDepth = 16

    /// The file system as the finder sees it, so tests can give files from memory.
    struct Source: Sendable {
        /// The text of a file; nil when it does not exist.
        let read: @Sendable (String) throws(SetupFailure) -> String?
        /// The paths matching a glob pattern, sorted.
        let expand: @Sendable (String) -> [String]

        /// The real file system.
        static let system = Source(
            read: { path throws(SetupFailure) in try PamDirectory.read(absolutePath: path) },
            expand: { pattern in SshdLineFinder.glob(pattern) })
    }

    /// Every keyword line in read order (`Include` lines too, before the lines they bring;
    /// `Match` lines are the `match` of the lines of their block).
    let lines: [SshdConfigLine]

    /// Reads `mainFile` and everything it includes.
    init(mainFile: String, source: Source = .system) throws(SetupFailure) {
        var lines: [SshdConfigLine] = []
        try Self.read(mainFile, source: source, inherited: nil, depth: 0, into: &lines)
        self.lines = lines
    }

    /// The lines outside `Match` blocks that set `keyword`, in read order: sshd keeps the
    /// first one's value.
    func globalLines(_ keyword: String) -> [SshdConfigLine] {
        lines.filter { $0.match == nil && $0.keyword == keyword }
    }

    /// The lines inside `Match` blocks that set `keyword`, in read order.
    func matchLines(_ keyword: String) -> [SshdConfigLine] {
        lines.filter { $0.match != nil && $0.keyword == keyword }
    }

    /// The `Match` blocks in read order, each with the lines it holds.
    func matchBlocks() -> [(match: SshdConfigLine.Location, lines: [SshdConfigLine])] {
        var blocks: [(match: SshdConfigLine.Location, lines: [SshdConfigLine])] = []
        for line in lines {
            guard let match = line.match else { continue }
            if let last = blocks.indices.last, blocks[last].match == match {
                blocks[last].lines.append(line)
            } else {
                blocks.append((match, [line]))
            }
        }
        return blocks
    }

    /// The lines that explain why `keyword` has `value` for a connection, when the global
    /// configuration gives it `globalValue`: the `Match` lines that set `value` when the two
    /// differ, else the first global line; empty when no line sets it (sshd's default).
    func causes(of keyword: String, value: String, globalValue: String) -> [SshdConfigLine] {
        let first = Array(globalLines(keyword).prefix(1))
        guard SshdSettings.normalized(value) != SshdSettings.normalized(globalValue) else { return first }
        let candidates = matchLines(keyword)
        let same = candidates.filter { $0.value == SshdSettings.normalized(value) }
        if let line = same.first { return [line] }
        return candidates.isEmpty ? first : candidates
    }

    // MARK: - Reading

    private static func read(_ path: String, source: Source, inherited: SshdConfigLine.Location?, depth: Int,
                             into lines: inout [SshdConfigLine]) throws(SetupFailure) {
        guard depth <= maximumDepth else { throw .io("\(path): Include nested more than \(maximumDepth) deep") }
        guard let text = try source.read(path) else {
            if depth == 0 { throw .io("\(path) does not exist") }
            return
        }
        var match = inherited
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard let (keyword, arguments) = split(String(raw)) else { continue }
            let location = SshdConfigLine.Location(file: path, line: index + 1, text: trimmed(String(raw)))
            switch keyword {
            case "match":
                match = location
            case "include":
                lines.append(SshdConfigLine(location: location, keyword: keyword, arguments: arguments, match: match))
                for pattern in arguments {
                    let absolute = pattern.hasPrefix("/") ? pattern : "\(configDirectory)/\(pattern)"
                    for file in source.expand(absolute) {
                        try read(file, source: source, inherited: match, depth: depth + 1, into: &lines)
                    }
                }
            default:
                lines.append(SshdConfigLine(location: location, keyword: SshdConfigLine.canonical(keyword),
                                            arguments: arguments, match: match))
            }
        }
    }

    /// The keyword (lower case) and arguments of a line; nil for a blank line or a comment.
    /// `Keyword value`, `Keyword=value` and `Keyword = value`; arguments may be quoted, and
    /// a word starting with `#` ends the line.
    static func split(_ line: String) -> (String, [String])? {
        let text = Substring(trimmed(line))
        guard let first = text.first, first != "#" else { return nil }
        let keyword = text.prefix { !$0.isWhitespace && $0 != "=" }
        var rest = text.dropFirst(keyword.count).drop { $0.isWhitespace }
        if rest.first == "=" { rest = rest.dropFirst().drop { $0.isWhitespace } }
        var arguments: [String] = []
        var word = ""
        var inWord = false
        var quote: Character?
        for character in rest {
            if let open = quote {
                if character == open { quote = nil } else { word.append(character) }
            } else if character == "\"" || character == "'" {
                quote = character
                inWord = true
            } else if character.isWhitespace {
                if inWord { arguments.append(word); word = ""; inWord = false }
            } else if character == "#" && !inWord {
                break
            } else {
                word.append(character)
                inWord = true
            }
        }
        if inWord { arguments.append(word) }
        return (keyword.lowercased(), arguments)
    }

    private static func trimmed(_ line: String) -> String {
        String(line.drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }

    /// The paths matching `pattern`, sorted as glob(3) sorts them; none when nothing matches.
    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { index in
            result.gl_pathv[index].map { String(cString: $0) }
        }
    }
}
