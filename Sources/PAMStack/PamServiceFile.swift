/// The text of one PAM service file (`/etc/pam.d/SERVICE`) and the edits `pam enable` and
/// `pam disable` make to it. Pure text: no I/O, so every rule is decided here once.
public struct PamServiceFile: Equatable, Sendable {
    /// The file name the module is installed as.
    public static let moduleName = "pam_swift2fa.so"
    /// The line `pam enable` adds after the password module.
    public static let entry = "auth       required     \(moduleName) nullok"
    /// The comment `pam enable` puts above the entry.
    public static let marker = "# swift-2fa: second factor, added by swift-2fa-setup pam enable (remove with swift-2fa-setup pam disable)"
    /// Every marker comment starts so (install.sh's older ones too), and `pam disable` drops them.
    public static let markerPrefix = "# swift-2fa: second factor, added by "
    /// The comment that records the password module's control word before `pam enable`
    /// made it end the stack (`substack` or `required`); `pam disable` puts it back.
    public static let controlMarkerPrefix = "# swift-2fa: the password module above said "

    /// The lines of the file, without their newlines.
    public var lines: [String]
    /// Whether the file ended with a newline (kept as it was).
    public var endsWithNewline: Bool

    public init(text: String) {
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        endsWithNewline = text.hasSuffix("\n")
        if endsWithNewline { parts.removeLast() }
        lines = text.isEmpty ? [] : parts
    }

    /// The file's text.
    public var text: String {
        lines.joined(separator: "\n") + (endsWithNewline && !lines.isEmpty ? "\n" : "")
    }

    /// One configuration line as libpam reads it: the physical lines joined where one ends
    /// with a backslash, everything from a `#` on dropped; `index` is the first physical
    /// line (0-based).
    public struct LogicalLine: Equatable, Sendable {
        public let index: Int
        public let line: Line
    }

    /// The active lines, as libpam assembles them.
    public var logicalLines: [LogicalLine] {
        var result: [LogicalLine] = []
        var pending = ""
        var start = 0
        for (index, raw) in lines.enumerated() {
            if pending.isEmpty { start = index }
            var text = Substring(raw)
            if let hash = text.firstIndex(of: "#") {
                text = text[..<hash]
                pending += text
            } else {
                let trimmed = text.reversed().drop { $0 == " " || $0 == "\t" || $0 == "\r" }
                if trimmed.first == "\\" {
                    pending += String(trimmed.dropFirst().reversed()) + " "
                    continue
                }
                pending += text
            }
            if let line = Line(pending) { result.append(LogicalLine(index: start, line: line)) }
            pending = ""
        }
        if let line = Line(pending) { result.append(LogicalLine(index: start, line: line)) }
        return result
    }

    /// One active line split into PAM's fields: type, control (a `[...]` control is one
    /// field), module and its arguments. Nil for comments and blank lines.
    public struct Line: Equatable, Sendable {
        public var type: String
        public var control: String
        public var module: String
        public var arguments: [String]

        public init?(_ text: String) {
            var rest = Substring(text)
            if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
            func word() -> String? {
                rest = rest.drop { $0 == " " || $0 == "\t" || $0 == "\r" }
                guard !rest.isEmpty else { return nil }
                if rest.first == "[", let close = rest.firstIndex(of: "]") {
                    let value = String(rest[...close])
                    rest = rest[rest.index(after: close)...]
                    return value
                }
                let end = rest.firstIndex { $0 == " " || $0 == "\t" || $0 == "\r" } ?? rest.endIndex
                let value = String(rest[..<end])
                rest = rest[end...]
                return value
            }
            guard let type = word() else { return nil }
            self.type = type
            if type == "@include" {
                control = ""
                module = word() ?? ""
                arguments = []
                return
            }
            control = word() ?? ""
            module = word() ?? ""
            var arguments: [String] = []
            while let argument = word() { arguments.append(argument) }
            self.arguments = arguments
        }

        /// `auth` or `-auth` (the dash: skip silently when the module is missing).
        public var isAuth: Bool {
            let lower = type.lowercased()
            return lower == "auth" || lower == "-auth"
        }

        /// The file this line pulls into the auth stack: `@include X`, `auth include X`, `auth substack X`.
        public var includedFile: String? {
            if type == "@include" { return module }
            if isAuth && isIncludeOrSubstack { return module }
            return nil
        }

        /// `include` or `substack` as the control.
        public var isIncludeOrSubstack: Bool {
            let lower = control.lowercased()
            return lower == "include" || lower == "substack"
        }

        /// Whether the line loads this module (by name or by absolute path).
        public var loadsModule: Bool {
            module == PamServiceFile.moduleName || module.hasSuffix("/\(PamServiceFile.moduleName)")
        }

        /// The module's file name without its directory (`pam_unix.so`).
        public var moduleFileName: String {
            String(module.split(separator: "/").last ?? Substring(module))
        }
    }

    /// Index of the first active line that loads the module, if any.
    public var moduleLineIndex: Int? {
        logicalLines.first { $0.line.loadsModule }?.index
    }

    /// The file without the module: every active line that loads it and every marker
    /// comment removed, and the password module's control word put back where `pam enable`
    /// changed it.
    public func disabled() -> PamServiceFile {
        var result = self
        result.lines = []
        for text in lines {
            if text.hasPrefix(Self.markerPrefix) { continue }
            if Line(text)?.loadsModule == true { continue }
            if text.hasPrefix(Self.controlMarkerPrefix) {
                let word = text.dropFirst(Self.controlMarkerPrefix.count).filter { $0 != "'" }
                if let last = result.lines.indices.last, let line = Line(result.lines[last]),
                   line.isAuth, word == "substack" || word == "required",
                   let range = result.lines[last].firstRange(of: line.control) {
                    result.lines[last].replaceSubrange(range, with: String(word))
                }
                continue
            }
            result.lines.append(text)
        }
        return result
    }
}
