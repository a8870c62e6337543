import TwoFactorCore

/// The fleet's database behind `EnrollmentAdministration`: each change is one of the
/// schema's functions, under the user's row lock and with the database's clock. Reading a
/// status, reset, unlock, new backup codes, activation and import need the admin role;
/// `verify`, and with the enrollment right (`db grant-server ROLE --enroll`) `beginPending`
/// and `confirmPending`, work with a server role too. A new secret is sent once and never
/// read back; the database hashes the backup codes itself.
extension FleetEnrollmentStore: EnrollmentAdministration {
    public func location(of user: String) -> String { "fleet database" }

    public func status(user: String) throws(EnrollmentStoreError) -> EnrollmentStatus {
        let status = try connect().status(user: user)
        let phase: EnrollmentStatus.Phase
        switch status.status {
        case "enrolled": phase = .enrolled
        case "pending": phase = .pending
        case "not enrolled": phase = .notEnrolled
        default: throw EnrollmentStoreError(.databaseError, "swift2fa.status returned the status \(status.status)")
        }
        return EnrollmentStatus(
            phase: phase, parameters: status.parameters, created: status.created,
            backupCodesLeft: status.backupCodesLeft,
            backupCodesNeedRegeneration: phase == .enrolled ? false : nil, pendingUntil: status.pendingUntil,
            failures: status.failures, throttledUntil: status.throttledUntil, locked: status.locked)
    }

    public func hasEnrollment(user: String) throws(EnrollmentStoreError) -> Bool {
        try connect().hasEnrollment(user: user)
    }

    public func beginPending(user: String, record: SecretRecord) throws(EnrollmentStoreError) -> Int64 {
        try connect().beginPending(user: user, secret: record.secret, parameters: record.parameters)
    }

    public func confirmPending(user: String, code: String, replace: Bool) throws(EnrollmentStoreError) -> PendingConfirmation {
        let codes = try NewBackupCodes.forDatabase()
        let result = try connect().confirmPending(user: user, code: code, backupCodes: codes, replace: replace)
        switch result {
        case .accepted: return .accepted(backupCodes: codes)
        case .rejected: return .rejected(pendingUntil: nil)
        case .notPending: return .notPending
        case .expired: return .expired(at: nil)
        }
    }

    public func activate(user: String, record: SecretRecord, lastStep: UInt64,
                         replace: Bool) throws(EnrollmentStoreError) -> Activation {
        let codes = try NewBackupCodes.forDatabase()
        try connect().enroll(user: user, secret: record.secret, parameters: record.parameters, lastStep: lastStep,
                             backupCodes: codes, replace: replace)
        return Activation(backupCodes: codes, stateReset: true)
    }

    public func importEnrollment(user: String, record: SecretRecord, scratchCodes: [String], lastStep: UInt64,
                                 replace: Bool) throws(EnrollmentStoreError) -> Activation {
        // The database hashes and tags the codes itself; the file store's rule decides which
        // are kept (one per tag).
        guard let tagged = BackupCodes.hashes(for: scratchCodes, secret: record.secret, iterations: 1) else {
            throw EnrollmentStoreError(.invalidArgument, "the scratch codes cannot be hashed")
        }
        try connect().importEnrollment(user: user, record: record, state: UserState.fresh(for: record, lastStep: lastStep),
                                       backupCodes: tagged.kept, replace: replace)
        return Activation(backupCodes: tagged.kept, stateReset: true)
    }

    public func reset(user: String) throws(EnrollmentStoreError) -> Bool {
        try connect().reset(user: user)
    }

    public func unlock(user: String) throws(EnrollmentStoreError) -> UnlockedState? {
        try connect().unlock(user: user).map {
            UnlockedState(failures: $0.failures, locked: $0.locked)
        }
    }

    public func regenerateBackupCodes(user: String) throws(EnrollmentStoreError) -> [String]? {
        let codes = try NewBackupCodes.forDatabase()
        let done = try connect().regenerateBackupCodes(user: user, codes: codes)
        return done ? codes : nil
    }
}
