import Foundation
import TwoFactorCore

/// The codes an authenticator app shows: the one TOTP helper of the tests. Computed with
/// `TOTP`, which the RFC 6238 vectors and the oathtool cross-check test independently.
public enum AuthenticatorApp {
    /// The current Unix time, in seconds.
    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }

    /// The code for `secret` and `parameters` at `time` (default: now), or `offset` time steps
    /// away from it; "invalid" when the parameters make no TOTP (no login accepts that).
    public static func code(_ secret: [UInt8], _ parameters: OTPParameters = .standard,
                            at time: Int64 = now(), offset: Int64 = 0) -> String {
        TOTP(secret: secret, parameters: parameters)?.code(at: time + offset * Int64(parameters.period)) ?? "invalid"
    }
}
