/// Where `pam enable` puts the module in a service file: after the line that brings in the
/// password module, at the first place where the stack then keeps every rule of
/// `StackRules`. An `auth substack` password line becomes `auth include` (a substack ends
/// only itself) and an `auth required` one `auth requisite` (required goes on after a
/// failure); the old word is kept in a comment for `pam disable`.
public enum ModuleInsertion {
    /// The edited file and where the line went.
    public struct Edit: Sendable {
        public let file: PamServiceFile
        /// The line of the original file (1-based) after which the module line went.
        public let afterLine: Int
        /// The line (1-based) that brings in the password module.
        public let passwordLine: Int
        /// The verdict on the new stack.
        public let report: StackRules.Report
    }

    /// Why the module could not be added.
    public enum Refusal: Error, Sendable {
        /// No line of the file brings in a password module.
        case noPasswordModule
        /// Every place breaks a rule; these are the problems at the natural place, right
        /// after the password line.
        case unsound([StackProblem])
    }

    /// Why `edit` failed: `read` failed with its own error, or the module could not be added.
    public enum EditError<ReadError: Error>: Error {
        /// `read` threw.
        case unreadable(ReadError)
        /// The files were read, and the module has no place in them.
        case refused(Refusal)
    }

    /// Adds the module line to `service`, whose text `read(service)` gives; `read` gives
    /// the included files too.
    public static func edit<E: Error>(service: String, read: (String) throws(E) -> String?) throws(EditError<E>) -> Edit {
        func readFile(_ name: String) throws(EditError<E>) -> String? {
            do throws(E) { return try read(name) } catch { throw .unreadable(error) }
        }
        guard let text = try readFile(service) else { throw .refused(.noPasswordModule) }
        let file = PamServiceFile(text: text)
        let stack = try AuthStack.load(service: service, read: readFile)
        guard let password = stack.entries.first(where: { $0.role == .password }) else {
            throw .refused(.noPasswordModule)
        }
        let anchor = password.topIndex
        var base = file
        var controlMarker: [String] = []
        if let line = PamServiceFile.Line(file.lines[anchor]), line.isAuth {
            let word = line.control.lowercased()
            let replacement = word == "substack" ? "include" : word == "required" ? "requisite" : nil
            if let replacement, let range = base.lines[anchor].firstRange(of: line.control) {
                base.lines[anchor].replaceSubrange(range, with: replacement)
                controlMarker = ["\(PamServiceFile.controlMarkerPrefix)'\(line.control)'"]
            }
        }
        base.lines.insert(contentsOf: controlMarker, at: anchor + 1)
        base.endsWithNewline = true
        let lastAuthIndex = file.logicalLines.last { $0.line.isAuth || $0.line.includedFile != nil }?.index ?? anchor
        var firstProblems: [StackProblem]?
        for original in (anchor + 1)...(lastAuthIndex + 1) {
            if original > anchor + 1, PamServiceFile.Line(file.lines[original - 1]) == nil { continue }
            var candidate = base
            candidate.lines.insert(contentsOf: [PamServiceFile.marker, PamServiceFile.entry], at: original + controlMarker.count)
            let report = try StackRules.check(AuthStack.load(service: service) { name throws(EditError<E>) in
                name == service ? candidate.text : try readFile(name)
            })
            if report.isSound {
                return Edit(file: candidate, afterLine: original, passwordLine: anchor + 1, report: report)
            }
            if firstProblems == nil { firstProblems = report.problems }
        }
        throw .refused(.unsound(firstProblems ?? []))
    }
}
