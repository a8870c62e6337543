/// RFC 6238 time-based one-time passwords for one secret.
public struct TOTP: Sendable {
    public let secret: [UInt8]
    public let parameters: OTPParameters

    /// Nil when the parameters are invalid (see `OTPParameters.isValid`).
    public init?(secret: [UInt8], parameters: OTPParameters) {
        guard parameters.isValid else { return nil }
        self.secret = secret
        self.parameters = parameters
    }

    /// The time step that contains `time` (Unix seconds). Nil before 1970.
    public func step(at time: Int64) -> UInt64? {
        guard time >= 0, parameters.period > 0 else { return nil }
        return UInt64(time) / UInt64(parameters.period)
    }

    /// The code of one time step.
    public func code(forStep step: UInt64) -> String? {
        HOTP.code(secret: secret, counter: step, digits: parameters.digits, algorithm: parameters.algorithm)
    }

    /// The code shown by an authenticator app at `time` (Unix seconds).
    public func code(at time: Int64) -> String? {
        guard let step = step(at: time) else { return nil }
        return code(forStep: step)
    }
}
