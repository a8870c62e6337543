import FoundationEssentials

/// The self-service socket's answer to one request: the standard output, standard error and
/// exit status root's command gives for the same operation and format, and a new session
/// token when the request's code was accepted. One JSON object, e.g.
/// `{"exit":0,"session":"…","stderr":"","stdout":"…"}`.
struct SelfServiceResponse: Codable, Equatable {
    let exit: Int32
    let stdout: String
    let stderr: String
    /// A new session token (`SelfServiceSessions`), absent unless a code was accepted.
    let session: String?

    /// The answer for a failure the endpoint decides itself: its one `swift-2fa-setup:` line
    /// on stderr, and the exit status of its kind, as the command gives them.
    init(_ failure: SetupFailure) {
        let message: String
        if case .reported = failure.kind { message = "" } else { message = Output.errorLine(failure.message) }
        self.init(exit: exitStatus(of: failure.kind).rawValue, stdout: "", stderr: message, session: nil)
    }

    init(exit: Int32, stdout: String, stderr: String, session: String?) {
        self.exit = exit
        self.stdout = stdout
        self.stderr = stderr
        self.session = session
    }

    /// The answer as one line of JSON.
    var encoded: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings and integers always encode.
        return ((try? encoder.encode(self)).map { Array($0) } ?? []) + [0x0A]
    }

    /// Reads an answer; nil when `bytes` is not one.
    static func decode(_ bytes: [UInt8]) -> SelfServiceResponse? {
        try? JSONDecoder().decode(SelfServiceResponse.self, from: Data(bytes))
    }
}
