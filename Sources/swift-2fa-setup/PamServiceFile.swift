/// The text of one PAM service file (`/etc/pam.d/SERVICE`) and the edits `pam enable` and
/// `pam disable` make to it. Pure text: no I/O, so every rule is decided here once.
struct PamServiceFile {
    /// The file name the module is installed as.
    static let moduleName = "pam_swift2fa.so"
    /// The line `pam enable` adds right after the password module.
    static let entry = "auth       required     \(moduleName) nullok"
    /// The comment `pam enable` puts above the entry.
    static let marker = "# swift-2fa: second factor, added by swift-2fa-setup pam enable (remove with swift-2fa-setup pam disable)"
    /// Every marker comment starts so (install.sh's older ones too), and `pam disable` drops them.
    static let markerPrefix = "# swift-2fa: second factor, added by "
    /// The comment that records the password module's control word before `pam enable`
    /// made it end the stack (`substack` or `required`); `pam disable` puts it back.
    static let controlMarkerPrefix = "# swift-2fa: the password module above said "

    /// The lines of the file, without their newlines.
    var lines: [String]
    /// Whether the file ended with a newline (kept as it was).
    var endsWithNewline: Bool

    init(text: String) {
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        endsWithNewline = text.hasSuffix("\n")
        if endsWithNewline { parts.removeLast() }
        lines = text.isEmpty ? [] : parts
    }

    /// The file's text.
    var text: String {
        lines.joined(separator: "\n") + (endsWithNewline && !lines.isEmpty ? "\n" : "")
    }

    /// One active line split into PAM's fields: type, control (a `[...]` control is one
    /// field), module and its arguments. Nil for comments and blank lines.
    struct Line: Equatable {
        var type: String
        var control: String
        var module: String
        var arguments: [String]

        init?(_ text: String) {
            let trimmed = text.drop { $0 == " " || $0 == "\t" }
            guard let first = trimmed.first, first != "#" else { return nil }
            var rest = Substring(trimmed)
            func word() -> String? {
                rest = rest.drop { $0 == " " || $0 == "\t" }
                guard !rest.isEmpty else { return nil }
                if rest.first == "[", let close = rest.firstIndex(of: "]") {
                    let value = String(rest[...close])
                    rest = rest[rest.index(after: close)...]
                    return value
                }
                let end = rest.firstIndex { $0 == " " || $0 == "\t" } ?? rest.endIndex
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
        var isAuth: Bool { type == "auth" || type == "-auth" }

        /// The file this line pulls into the auth stack: `@include X`, `auth include X`, `auth substack X`.
        var includedFile: String? {
            if type == "@include" { return module }
            if isAuth && (control == "include" || control == "substack") { return module }
            return nil
        }

        /// Whether the line loads this module (by name or by absolute path).
        var loadsModule: Bool {
            module == PamServiceFile.moduleName || module.hasSuffix("/\(PamServiceFile.moduleName)")
        }
    }

    /// Index of the first active line that loads the module, if any.
    var moduleLineIndex: Int? {
        lines.firstIndex { Line($0)?.loadsModule == true }
    }

    /// Index of the password module of the auth stack, after which the module goes: an
    /// `@include common-auth`, an `auth include|substack common-auth|system-auth|password-auth`,
    /// or an `auth` line whose module is pam_unix.so. The first one wins.
    var anchorIndex: Int? {
        lines.firstIndex { text in
            guard let line = Line(text) else { return false }
            if line.type == "@include" { return line.module == "common-auth" }
            guard line.isAuth else { return false }
            if line.control == "include" || line.control == "substack" {
                return ["common-auth", "system-auth", "password-auth"].contains(line.module)
            }
            return line.module == "pam_unix.so" || line.module.hasSuffix("/pam_unix.so")
        }
    }

    /// The result of `enabled()`: the new file, the anchor's line number (1-based), and
    /// whether that line ends the stack on a wrong password.
    struct Enabled {
        let file: PamServiceFile
        let anchorLine: Int
        let anchorEndsStack: Bool
    }

    /// The file with the module added after the password module, or nil when there is no
    /// password module. No code may be checked before the password is accepted, so an
    /// `auth substack` anchor becomes `auth include` (a substack ends only itself) and an
    /// `auth required` anchor becomes `auth requisite` (required goes on after a failure);
    /// the old word is recorded in a comment for `disabled()`.
    func enabled() -> Enabled? {
        guard let index = anchorIndex, let anchor = Line(lines[index]) else { return nil }
        var result = self
        var inserted = [Self.marker]
        let replacement: String? = anchor.isAuth
            ? (anchor.control == "substack" ? "include" : anchor.control == "required" ? "requisite" : nil)
            : nil
        if let replacement, let range = lines[index].firstRange(of: anchor.control) {
            result.lines[index].replaceSubrange(range, with: replacement)
            inserted.insert("\(Self.controlMarkerPrefix)'\(anchor.control)'", at: 0)
        }
        result.lines.insert(contentsOf: inserted + [Self.entry], at: index + 1)
        if !result.endsWithNewline { result.endsWithNewline = true }
        let final = Line(result.lines[index])
        let ends = final?.type == "@include" || final?.control == "requisite" || final?.control == "include"
        return Enabled(file: result, anchorLine: index + 1, anchorEndsStack: ends)
    }

    /// The file without the module: every active line that loads it and every marker
    /// comment removed, and the password module's control word put back where `enabled()`
    /// changed it.
    func disabled() -> PamServiceFile {
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
