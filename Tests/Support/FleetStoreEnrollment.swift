import TwoFactorCore
import TwoFactorStore

extension FleetStore {
    /// The tests' enrollment of one TOTP credential (`default`, whose secret also keys the
    /// backup tags) whose last step is `lastStep`.
    public func enroll(user: String, secret: [UInt8], parameters: OTPParameters, lastStep: UInt64, backupCodes: [String],
                       replace: Bool) throws(EnrollmentStoreError) {
        try enroll(user: user, record: SecretRecord(secret: secret, parameters: parameters, created: 0), lastStep: lastStep,
                   backupCodes: backupCodes, replace: replace)
    }
}
