import Glibc
import TwoFactorCore
import TwoFactorStore

/// Creating an enrollment: the secret, checking the first code, the backup codes,
/// and activation (the only step that makes the module accept the new secret).
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

    /// Ten new backup codes for display, and their salted hashes for the secret file,
    /// tagged for the enrollment whose TOTP secret is `secret`.
    static func newBackupCodes(secret: [UInt8]) throws(SetupFailure) -> (codes: [String], hashes: [BackupCodeHash]) {
        guard let backup = BackupCodes.generate(secret: secret) else {
            throw .io("cannot generate backup codes: the system random number generator or the crypto library (GNU Nettle) failed")
        }
        return backup
    }

    /// Activates `record` (complete with its backup code hashes) for the target: writes
    /// the secret file, a fresh state whose last step is `lastStep` (so the code that
    /// confirmed the enrollment cannot be used again to log in), and removes any pending
    /// enrollment. Call inside `UserStore.locked`; `storeUsable` is what it passed.
    ///
    /// When writing the state fails, the previous secret file is put back.
    static func install(_ record: SecretRecord, lastStep: UInt64, target: ManagedUser, force: Bool,
                        storeUsable: Bool) throws(SetupFailure) {
        var active = record
        active.pendingUntil = nil
        try target.requireReplaceable(force: force)
        guard storeUsable else {
            try target.writeSecret(active)
            Output.warning("the store \(target.store.directory) is not writable by you, so the state of "
                           + "\(target.user) was not reset; if codes are refused, ask root to run "
                           + "'swift-2fa-setup unlock --user \(target.user)'")
            return
        }
        let previous = try? target.readSecret()
        try target.writeSecret(active)
        do {
            try target.writeState(UserState.fresh(for: active, lastStep: lastStep))
        } catch {
            // Put the previous enrollment back, so the failure changes nothing.
            if let previous = previous ?? nil {
                try? target.writeSecret(previous)
            } else {
                try? target.removeSecret()
            }
            throw error
        }
        try target.removePending()
    }
}
