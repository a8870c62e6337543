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
        var result = EnrollmentStatus(
            phase: phase, parameters: status.parameters, created: status.created,
            backupCodesLeft: status.backupCodesLeft,
            backupCodesNeedRegeneration: phase == .enrolled ? false : nil, pendingUntil: status.pendingUntil,
            failures: status.failures, throttledUntil: status.throttledUntil, locked: status.locked,
            lastAccepted: status.lastAccepted)
        if phase == .enrolled, let parameters = status.parameters {
            // The fleet's one TOTP credential.
            result.credentials = [CredentialStatus(
                id: 1, label: Credential.defaultLabel, kind: "TOTP", algorithm: parameters.algorithm, digits: parameters.digits,
                period: parameters.period, offset: 0, nextCounter: nil, created: status.created ?? 0, lastUsed: status.lastAccepted)]
        }
        return result
    }

    public func hasEnrollment(user: String) throws(EnrollmentStoreError) -> Bool {
        try connect().hasEnrollment(user: user)
    }

    public func beginPending(user: String, record: SecretRecord) throws(EnrollmentStoreError) -> Int64 {
        let (secret, parameters) = try Self.single(record)
        return try connect().beginPending(user: user, secret: secret, parameters: parameters)
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
        let (secret, parameters) = try Self.single(record)
        let codes = try NewBackupCodes.forDatabase()
        try connect().enroll(user: user, secret: secret, parameters: parameters, lastStep: lastStep,
                             backupCodes: codes, replace: replace)
        return Activation(backupCodes: codes, stateReset: true)
    }

    /// Only a new or replacing enrollment of one TOTP credential (`single`).
    public func importEnrollment(user: String, record: SecretRecord, used: [CredentialState], scratchCodes: [String],
                                 mode: ImportMode) throws(EnrollmentStoreError) -> Activation {
        guard mode != .add else { throw Self.oneCredential }
        // The database hashes and tags the codes itself; the file store's rule decides which
        // are kept (one per tag).
        _ = try Self.single(record)
        guard let tagged = BackupCodes.hashes(for: scratchCodes, secret: record.backupKey, iterations: 1) else {
            throw EnrollmentStoreError(.invalidArgument, "the scratch codes cannot be hashed")
        }
        let state = UserState(failures: 0, throttledUntil: 0, locked: false, usedBackupSalts: [], credentials: used)
        try connect().importEnrollment(user: user, record: record, state: state, backupCodes: tagged.kept,
                                       replace: mode == .replace)
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

    public func offerAtLogin(user: String, record: SecretRecord) throws(EnrollmentStoreError) -> LoginOfferRefusal? {
        do throws(EnrollmentStoreError) {
            _ = try beginPending(user: user, record: record)
            return nil
        } catch {
            switch error.kind {
            case .notAllowed:
                return LoginOfferRefusal("this server's database role may not enroll "
                                         + "(swift-2fa-setup db grant-server ROLE --enroll)", needsAdmin: true)
            case .adminPending:
                return LoginOfferRefusal("an enrollment the admin started waits for swift-2fa-setup confirm", needsAdmin: false)
            case .alreadyEnrolled:
                return LoginOfferRefusal("enrolled meanwhile", needsAdmin: false)
            default:
                throw error
            }
        }
    }

    /// The database checks the code again with its own clock and records its step as used.
    public func activateAtLogin(user: String, record: SecretRecord, code: String,
                                step: UInt64) throws(EnrollmentStoreError) -> LoginActivation {
        let confirmation: PendingConfirmation
        do throws(EnrollmentStoreError) {
            confirmation = try confirmPending(user: user, code: code, replace: false)
        } catch where error.kind == .alreadyEnrolled {
            return .changedMeanwhile("\(user) was enrolled meanwhile; the new secret was not stored")
        }
        switch confirmation {
        case .accepted(let codes): return .activated(backupCodes: codes)
        case .added: return .changedMeanwhile("the database added a credential instead")
        case .rejected: return .changedMeanwhile("the database did not confirm the enrollment (rejected)")
        case .notPending: return .changedMeanwhile("the database did not confirm the enrollment (not-pending)")
        case .expired: return .changedMeanwhile("the database did not confirm the enrollment (expired)")
        }
    }

    public func addCredential(user: String, credential: Credential, counter: UInt64) throws(EnrollmentStoreError) -> Credential {
        throw Self.oneCredential
    }

    public func removeCredential(user: String, name: String) throws(EnrollmentStoreError) -> Credential {
        throw Self.oneCredential
    }

    public func renameCredential(user: String, name: String, label: String) throws(EnrollmentStoreError) -> Credential {
        throw Self.oneCredential
    }

    public func resyncCredential(user: String, name: String, first: String,
                                 second: String) throws(EnrollmentStoreError) -> CredentialResync.Found {
        throw Self.oneCredential
    }

    /// The fleet's schema holds one TOTP secret per user, without a clock offset (issue #19's
    /// fleet migration is still to come).
    static var oneCredential: EnrollmentStoreError {
        EnrollmentStoreError(.invalidArgument, "the fleet database holds one TOTP credential per user (6 or 8 digits); "
                             + "several credentials, HOTP and resync work with the file store only, for now")
    }

    /// The one TOTP credential of `record`, as the fleet's schema holds it.
    static func single(_ record: SecretRecord) throws(EnrollmentStoreError) -> (secret: [UInt8], parameters: OTPParameters) {
        guard record.credentials.count == 1, let credential = record.credentials.first, !record.addsToEnrollment,
              case .totp(_, 0) = credential.kind, let parameters = credential.totpParameters,
              FleetCredentialLimits.allowedDigits.contains(parameters.digits) else { throw oneCredential }
        return (credential.secret, parameters)
    }
}
