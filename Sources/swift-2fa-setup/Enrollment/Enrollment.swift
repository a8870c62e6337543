import Glibc
import TwoFactorCore
import TwoFactorStore

/// Creating an enrollment: the clock and a fresh secret. (Activation, the backup codes and
/// the pending enrollment are the store's: `EnrollmentAdministration`.)
enum Enrollment {
    /// The current Unix time.
    static func now() -> Int64 { Int64(time(nil)) }

    /// A record of `credential` alone, without backup codes (activation makes them and their
    /// key; until then a random placeholder key): a new enrollment, or with `adding` a
    /// credential to join the active one.
    static func record(with credential: Credential, adding: Bool, now: Int64) throws(SetupFailure) -> SecretRecord {
        guard let placeholderKey = SecureRandom.bytes(NewEnrollment.secretLength) else {
            throw .io("the system random number generator failed")
        }
        return SecretRecord(credentials: [credential], created: now, backupKey: placeholderKey, addsToEnrollment: adding)
    }
}
