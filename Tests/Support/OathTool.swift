import Foundation

/// oathtool (oath-toolkit), the independent code generator of the tests.
public enum OathTool {
    /// The TOTP code of the base32 `secret` at `time`.
    public static func totp(_ secret: String, at time: Int64 = AuthenticatorApp.now(), digits: Int = 6,
                            algorithm: String = "SHA1", period: Int = 30) throws -> String {
        try run(["--totp=\(algorithm.lowercased())", "-b", "-d", "\(digits)", "-s", "\(period)s", "--now", "@\(time)", secret])
    }

    /// The HOTP code of the hex `secret` at `counter`.
    public static func hotp(hex secret: String, counter: UInt64, digits: Int = 6) throws -> String {
        try run(["--hotp", "-d", "\(digits)", "-c", "\(counter)", secret])
    }

    private static func run(_ arguments: [String]) throws -> String {
        let result = try Program.run("/usr/bin/oathtool", arguments)
        guard result.status == 0 else { throw FixtureError(text: "oathtool \(arguments.first ?? "") failed: \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
