import Glibc

/// The real sshd asked about one configuration file: `sshd -T` for the settings it would
/// use, `sshd -t` to test the files.
struct Sshd {
    /// Where Debian's openssh-server installs it.
    static let program = "/usr/sbin/sshd"

    /// The main configuration file (`-f`).
    let configFile: String

    /// What sshd said when it refused the configuration.
    struct Refusal: Error, Equatable {
        let output: String
    }

    /// The effective settings, for `connection` when given (its `Match` blocks applied), or
    /// sshd's refusal of the configuration.
    func settings(for connection: SshConnection?) throws(SetupFailure) -> Result<SshdSettings, Refusal> {
        var arguments = ["-T", "-f", configFile]
        if let connection { arguments += ["-C", connection.specification] }
        let result = try run(arguments)
        guard result.status == 0 else { return .failure(Refusal(output: result.output)) }
        return .success(SshdSettings(sshdOutput: result.output))
    }

    /// Tests the configuration (`sshd -t`): nil when sshd accepts it, else what it said.
    func test() throws(SetupFailure) -> Refusal? {
        let result = try run(["-t", "-f", configFile])
        return result.status == 0 ? nil : Refusal(output: result.output)
    }

    private func run(_ arguments: [String]) throws(SetupFailure) -> Subprocess.Result {
        guard access(Self.program, X_OK) == 0 else {
            throw .io("\(Self.program) is not there: install openssh-server")
        }
        let result = try Subprocess.run([Self.program] + arguments)
        let privilegeSeparation = "Missing privilege separation directory"
        if result.status != 0, let line = result.output.split(separator: "\n").first(where: { $0.contains(privilegeSeparation) }) {
            throw .io("sshd cannot read its configuration here: \(line) (sshd is not running; create it with: install -d -m 0755 /run/sshd)")
        }
        return result
    }
}

extension Sshd.Refusal {
    /// sshd's output on one line.
    var summary: String { output.split(whereSeparator: \.isNewline).joined(separator: " / ") }
}
