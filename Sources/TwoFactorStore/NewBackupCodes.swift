import TwoFactorCore

/// The ten backup codes an activation or `backup-codes --regenerate` shows once.
enum NewBackupCodes {
    /// Codes and their hashes tagged for the enrollment whose TOTP secret is `secret` (the
    /// file store keeps the hashes in the secret file); fewer `iterations` only for memory.
    static func make(secret: [UInt8], iterations: UInt32 = BackupCodeHash.defaultIterations)
        throws(EnrollmentStoreError) -> (codes: [String], hashes: [BackupCodeHash]) {
        guard let backup = BackupCodes.generate(secret: secret, iterations: iterations) else {
            throw EnrollmentStoreError(.systemError, "cannot generate backup codes: the system random number generator "
                                       + "or the crypto library (GNU Nettle) failed")
        }
        return backup
    }

    /// Codes alone, for a database that hashes and tags them with the secret it holds (the
    /// local hashes, made with a throw-away key, are not used).
    static func forDatabase() throws(EnrollmentStoreError) -> [String] {
        guard let key = SecureRandom.bytes(NewEnrollment.secretLength) else {
            throw EnrollmentStoreError(.systemError, "the system random number generator failed")
        }
        return try make(secret: key).codes
    }
}
