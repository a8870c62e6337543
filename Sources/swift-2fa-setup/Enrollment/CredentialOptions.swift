import ArgumentParser
import TwoFactorCore

/// The options that describe a new credential (`enroll`): its label, kind, code parameters,
/// and an admin-assigned seed.
struct CredentialOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The credential's label, e.g. phone or yubikey-5 (letters, digits, '.', '_', '-'). "
                               + "Default: default for a first enrollment; needed with --add.", valueName: "label"))
    var label: String?

    @Flag(help: "A counter-based (HOTP, RFC 4226) credential, e.g. a hardware token, instead of time-based (TOTP).")
    var hotp = false

    @Option(help: ArgumentHelp("SHA1, SHA256 or SHA512. Some apps support only SHA1.", valueName: "name"))
    var algorithm: String = "SHA1"

    @Option(help: "Digits per code: 6, 7 or 8. Some apps support only 6.")
    var digits: Int = 6

    @Option(help: ArgumentHelp("Seconds per code (TOTP), 15 to 300. Some apps support only 30.", valueName: "seconds"))
    var period: Int = 30

    @Option(help: ArgumentHelp("With --hotp and --seed-stdin: the token's next counter.", valueName: "n"))
    var counter: UInt64 = 0

    @Flag(name: .customLong("seed-stdin"), help: """
        Read the secret (an admin-assigned seed, e.g. of a hardware token) from standard input: hex, or base32, \
        or either with a hex: or base32: prefix. Never give a seed on the command line.
        """)
    var seedStdin = false

    func validate() throws {
        guard HashAlgorithm(name: algorithm) != nil else {
            throw ValidationError("--algorithm must be SHA1, SHA256 or SHA512")
        }
        guard Credential.allowedDigits.contains(digits) else { throw ValidationError("--digits must be 6, 7 or 8") }
        guard OTPParameters.allowedPeriods.contains(period) else {
            throw ValidationError("--period must be from \(OTPParameters.allowedPeriods.lowerBound) to \(OTPParameters.allowedPeriods.upperBound) seconds")
        }
        if let label, !Credential.isValidLabel(label) { throw ValidationError("--label: " + SecretRecord.labelRule) }
        if counter != 0 && !(hotp && seedStdin) { throw ValidationError("--counter needs --hotp and --seed-stdin") }
    }

    /// The credential, with the secret read from standard input (`--seed-stdin`) or fresh
    /// from the system CSPRNG. Its id is the store's to choose when it joins an enrollment.
    func credential(now: Int64) throws(SetupFailure) -> Credential {
        let secret: [UInt8]
        if seedStdin {
            secret = try SeedInput.read()
        } else {
            guard let fresh = SecureRandom.bytes(NewEnrollment.secretLength) else {
                throw .io("the system random number generator failed")
            }
            secret = fresh
        }
        let kind: Credential.Kind = hotp ? .hotp(counter: counter) : .totp(period: period, offset: 0)
        return Credential(id: 1, label: label ?? Credential.defaultLabel, kind: kind,
                          algorithm: HashAlgorithm(name: algorithm) ?? .sha1, digits: digits, secret: secret, created: now)
    }
}
