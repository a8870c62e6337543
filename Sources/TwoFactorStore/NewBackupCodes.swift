import TwoFactorCore

/// The ten backup codes an activation or `backup-codes --regenerate` shows once.
enum NewBackupCodes {
    /// Codes, their hashes, and the new key of their tags (`SecretRecord.backupKey`; the file
    /// store keeps the hashes and the key in the secret file); fewer `iterations` only for memory.
    static func make(iterations: UInt32 = BackupCodeHash.defaultIterations)
        throws(EnrollmentStoreError) -> (key: [UInt8], codes: [String], hashes: [BackupCodeHash]) {
        guard let key = SecureRandom.bytes(NewEnrollment.secretLength),
              let backup = BackupCodes.generate(secret: key, iterations: iterations) else {
            throw EnrollmentStoreError(.systemError, "cannot generate backup codes: the system random number generator "
                                       + "or the crypto library (GNU Nettle) failed")
        }
        return (key, backup.codes, backup.hashes)
    }

    /// `record` with ten new backup codes and their key: the record and the codes to show once.
    static func replacing(in record: SecretRecord, iterations: UInt32 = BackupCodeHash.defaultIterations)
        throws(EnrollmentStoreError) -> (record: SecretRecord, codes: [String]) {
        let backup = try make(iterations: iterations)
        var updated = record
        updated.backupKey = backup.key
        updated.backupCodes = backup.hashes
        return (updated, backup.codes)
    }

    /// Codes alone, for a database that hashes and tags them with the secret it holds (the
    /// local hashes, made with a throw-away key, are not used).
    static func forDatabase() throws(EnrollmentStoreError) -> [String] {
        try make().codes
    }
}
