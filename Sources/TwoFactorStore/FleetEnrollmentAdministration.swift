import TwoFactorCore

/// The fleet's database behind `EnrollmentAdministration`: each change is one of the
/// schema's functions, under the user's row lock and with the database's clock. Reading a
/// status, reset, unlock, new backup codes, activation and import need the admin role;
/// `verify`, and with the enrollment right (`db grant-server ROLE --enroll`) `beginPending`
/// (of one TOTP credential) and `confirmPending`, work with a server role too. A new secret is
/// sent once and never read back; the database hashes the backup codes itself.
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
        if phase == .enrolled {
            result.credentials = try connect().credentials(user: user)
            result.lastDrift = status.drift
        }
        return result
    }

    public func hasEnrollment(user: String) throws(EnrollmentStoreError) -> Bool {
        try connect().hasEnrollment(user: user)
    }

    /// One TOTP credential labelled `default`, not to be added, goes through the server's
    /// function (enrollment at login); anything else needs the admin role, or a self-service
    /// session (`FleetSelfService`), in which one not to be added replaces the enrollment when
    /// confirmed.
    public func beginPending(user: String, record: SecretRecord) throws(EnrollmentStoreError) -> Int64 {
        guard record.credentials.count == 1, let credential = record.credentials.first, credential.isValid else {
            throw EnrollmentStoreError(.invalidArgument, "a pending enrollment holds one valid credential")
        }
        let store = try connect()
        if store.selfService == nil, !record.addsToEnrollment, credential.label == Credential.defaultLabel,
           case .totp(_, 0) = credential.kind, let parameters = credential.totpParameters {
            return try store.beginPending(user: user, secret: credential.secret, parameters: parameters)
        }
        return try store.beginPending(user: user, credential: credential, adds: record.addsToEnrollment)
    }

    public func confirmPending(user: String, code: String, replace: Bool) throws(EnrollmentStoreError) -> PendingConfirmation {
        let codes = try NewBackupCodes.forDatabase()
        let result = try connect().confirmPending(user: user, code: code, backupCodes: codes, replace: replace)
        switch result {
        case .accepted: return .accepted(backupCodes: codes)
        case .added:
            // The newest credential is the one just added (ids only grow).
            guard let added = try connect().credentials(user: user).max(by: { $0.id < $1.id }) else {
                throw EnrollmentStoreError(.databaseError, "swift2fa.confirm_pending added no credential")
            }
            return .added(try Self.credential(added, user: user))
        case .rejected: return .rejected(pendingUntil: nil)
        case .notPending: return .notPending
        case .expired: return .expired(at: nil)
        }
    }

    public func activate(user: String, record: SecretRecord, lastStep: UInt64,
                         replace: Bool) throws(EnrollmentStoreError) -> Activation {
        try ImportedEnrollment.check(record)
        let codes = try NewBackupCodes.forDatabase()
        try connect().enroll(user: user, record: record, lastStep: lastStep, backupCodes: codes, replace: replace)
        return Activation(backupCodes: codes, stateReset: true)
    }

    public func importEnrollment(user: String, record: SecretRecord, used: [CredentialState], scratchCodes: [String],
                                 mode: ImportMode) throws(EnrollmentStoreError) -> Activation {
        try ImportedEnrollment.check(record)
        // The database hashes and tags the codes itself; the file store's rule decides which
        // are kept (one per tag). Added credentials bring no codes.
        var kept: [String] = []
        if mode == .add {
            guard scratchCodes.isEmpty else {
                throw EnrollmentStoreError(.invalidArgument, "scratch codes cannot be added to an enrollment")
            }
        } else {
            guard let tagged = BackupCodes.hashes(for: scratchCodes, secret: record.backupKey, iterations: 1) else {
                throw EnrollmentStoreError(.invalidArgument, "the scratch codes cannot be hashed")
            }
            kept = tagged.kept
        }
        let state = UserState(failures: 0, throttledUntil: 0, locked: false, usedBackupSalts: [], credentials: used)
        try connect().importEnrollment(user: user, record: record, state: state, backupCodes: kept, mode: mode)
        return Activation(backupCodes: kept, stateReset: true)
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
        guard Credential.isValidLabel(credential.label) else { throw EnrollmentStoreError(.invalidArgument, SecretRecord.labelRule) }
        var added = credential
        added.id = try connect().addCredential(user: user, credential: credential, counter: counter)
        return added
    }

    public func removeCredential(user: String, name: String) throws(EnrollmentStoreError) -> Credential {
        let store = try connect()
        let before = try store.credentials(user: user)
        let removed = try store.removeCredential(user: user, name: name)
        guard let status = before.first(where: { $0.id == removed.id }) else {
            throw EnrollmentStoreError(.databaseError, "swift2fa.remove_credential removed an unknown credential")
        }
        return try Self.credential(status, user: user)
    }

    public func renameCredential(user: String, name: String, label: String) throws(EnrollmentStoreError) -> Credential {
        guard Credential.isValidLabel(label) else { throw EnrollmentStoreError(.invalidArgument, SecretRecord.labelRule) }
        let store = try connect()
        let id = try store.renameCredential(user: user, name: name, label: label)
        guard let status = try store.credentials(user: user).first(where: { $0.id == id }) else {
            throw EnrollmentStoreError(.databaseError, "swift2fa.rename_credential renamed an unknown credential")
        }
        return try Self.credential(status, user: user)
    }

    public func resyncCredential(user: String, name: String, first: String,
                                 second: String) throws(EnrollmentStoreError) -> CredentialResync.Found {
        try connect().resyncCredential(user: user, name: name, first: first, second: second)
    }

    /// A credential as the database shows it: everything but the secret, which never leaves it
    /// (the returned credential's secret is empty).
    static func credential(_ status: CredentialStatus, user: String) throws(EnrollmentStoreError) -> Credential {
        let kind: Credential.Kind
        if let period = status.period, let offset = status.offset {
            kind = .totp(period: period, offset: offset)
        } else if let counter = status.nextCounter {
            kind = .hotp(counter: counter)
        } else {
            throw EnrollmentStoreError(.databaseError, "the database returned a credential of \(user) without a kind")
        }
        return Credential(id: status.id, label: status.label, kind: kind, algorithm: status.algorithm, digits: status.digits,
                          secret: [], created: status.created)
    }
}
