extension PamServiceFile {
    /// The module option that lets a user who has not enrolled through (`pam enable` adds it).
    public static let nullok = "nullok"

    /// The file with `nullok` taken off (`allowed` false, for `pam require`) or put back
    /// (`allowed` true, for `pam allow-unenrolled`) on every active line that loads the
    /// module; every other byte stays. Nil when no active line loads the module on one
    /// physical line (a line continued with a backslash is left to the admin).
    public func settingNullok(allowed: Bool) -> PamServiceFile? {
        var result = self
        var found = false
        for (index, text) in lines.enumerated() {
            let continued = text.hasSuffix("\\") || (index > 0 && lines[index - 1].hasSuffix("\\"))
            guard !continued, let line = Line(text), line.loadsModule else { continue }
            found = true
            result.lines[index] = Self.settingNullok(allowed: allowed, in: text, arguments: line.arguments)
        }
        return found ? result : nil
    }

    /// One physical line with `nullok` removed as a whole word (with the blanks before it),
    /// or appended after the last argument (before a comment).
    private static func settingNullok(allowed: Bool, in text: String, arguments: [String]) -> String {
        let comment = text.firstIndex(of: "#") ?? text.endIndex
        var active = String(text[..<comment])
        let rest = String(text[comment...])
        if allowed {
            guard !arguments.contains(nullok) else { return text }
            var trailing = ""
            while let last = active.last, last == " " || last == "\t" || last == "\r" {
                trailing = String(last) + trailing
                active.removeLast()
            }
            return active + " " + nullok + (rest.isEmpty ? trailing : (trailing.isEmpty ? " " : trailing)) + rest
        }
        var words = Self.words(active)
        words.removeAll { $0.word == nullok && $0.index > 2 }
        return words.map { $0.blanks + $0.word }.joined() + Self.trailingBlanks(active) + rest
    }

    /// The words of a line with the blanks before each, and their positions (type, control,
    /// module, then arguments; a `[...]` control is one word).
    private static func words(_ text: String) -> [(index: Int, blanks: String, word: String)] {
        var result: [(index: Int, blanks: String, word: String)] = []
        var rest = Substring(text)
        while true {
            let blanks = rest.prefix { $0 == " " || $0 == "\t" || $0 == "\r" }
            rest = rest.dropFirst(blanks.count)
            guard !rest.isEmpty else { return result }
            let end: Substring.Index
            if rest.first == "[", let close = rest.firstIndex(of: "]") {
                end = rest.index(after: close)
            } else {
                end = rest.firstIndex { $0 == " " || $0 == "\t" || $0 == "\r" } ?? rest.endIndex
            }
            result.append((result.count, String(blanks), String(rest[..<end])))
            rest = rest[end...]
        }
    }

    private static func trailingBlanks(_ text: String) -> String {
        String(text.reversed().prefix { $0 == " " || $0 == "\t" || $0 == "\r" }.reversed())
    }
}
