/// How codes are computed from a secret: hash, number of digits and time step.
///
/// SHA1 / 6 digits / 30 s is what every authenticator app supports; other values
/// are valid but some apps silently ignore them.
public struct OTPParameters: Equatable, Sendable {
    public var algorithm: HashAlgorithm
    public var digits: Int
    public var period: Int

    /// Accepted time steps, in seconds.
    public static let allowedPeriods: ClosedRange<Int> = 15...300

    /// SHA1, 6 digits, 30 seconds.
    public static let standard = OTPParameters(algorithm: .sha1, digits: 6, period: 30)

    public init(algorithm: HashAlgorithm, digits: Int, period: Int) {
        self.algorithm = algorithm
        self.digits = digits
        self.period = period
    }

    /// True when digits is 6, 7 or 8 and the period is within 15...300 s.
    public var isValid: Bool {
        Credential.allowedDigits.contains(digits) && Self.allowedPeriods.contains(period)
    }

    /// True when apps that ignore the URI parameters would still compute the right codes.
    public var isStandard: Bool { self == .standard }
}
