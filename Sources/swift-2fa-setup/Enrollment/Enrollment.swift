import Glibc
import TwoFactorCore
import TwoFactorStore

/// Creating an enrollment: the clock and a fresh secret. (Activation, the backup codes and
/// the pending enrollment are the store's: `EnrollmentAdministration`.)
enum Enrollment {
    /// The current Unix time.
    static func now() -> Int64 { Int64(time(nil)) }

    /// A new record with a fresh secret from the system CSPRNG and no backup codes.
    static func newRecord(parameters: OTPParameters, now: Int64) throws(SetupFailure) -> SecretRecord {
        guard let secret = SecureRandom.bytes(NewEnrollment.secretLength) else {
            throw .io("the system random number generator failed")
        }
        return SecretRecord(secret: secret, parameters: parameters, created: now)
    }
}
