import TwoFactorCore

/// The administration of the in-memory store, with the file store's rules: a change that
/// would replace an active enrollment needs `replace`, activation resets the state to the
/// confirming step, and unlock keeps the used steps and backup codes.
extension InMemoryEnrollmentStore: EnrollmentAdministration {
    public func location(of user: String) -> String { "memory" }

    public func status(user: String) throws(EnrollmentStoreError) -> EnrollmentStatus {
        try failIfAsked()
        return EnrollmentStatus(record: records[user], pending: pending[user], state: states[user] ?? UserState(), now: now)
    }

    public func hasEnrollment(user: String) throws(EnrollmentStoreError) -> Bool {
        try failIfAsked()
        return records[user] != nil
    }

    public func beginPending(user: String, record: SecretRecord) throws(EnrollmentStoreError) -> Int64 {
        try failIfAsked()
        var waiting = record
        waiting.pendingUntil = now + NewEnrollment.pendingLifetime
        pending[user] = waiting
        return now + NewEnrollment.pendingLifetime
    }

    public func confirmPending(user: String, code: String, replace: Bool) throws(EnrollmentStoreError) -> PendingConfirmation {
        try failIfAsked()
        guard let waiting = pending[user], let until = waiting.pendingUntil else { return .notPending }
        guard now <= until else { return .expired(at: until) }
        guard let step = NewEnrollment.acceptedStep(of: code, record: waiting, now: now) else {
            return .rejected(pendingUntil: until)
        }
        let codes = try install(waiting, user: user, lastStep: step, replace: replace)
        return .accepted(backupCodes: codes)
    }

    public func activate(user: String, record: SecretRecord, lastStep: UInt64,
                         replace: Bool) throws(EnrollmentStoreError) -> Activation {
        try failIfAsked()
        return Activation(backupCodes: try install(record, user: user, lastStep: lastStep, replace: replace), stateReset: true)
    }

    public func importEnrollment(user: String, record: SecretRecord, scratchCodes: [String], lastStep: UInt64,
                                 replace: Bool) throws(EnrollmentStoreError) -> Activation {
        try failIfAsked()
        guard let tagged = BackupCodes.hashes(for: scratchCodes, secret: record.secret, iterations: 1) else {
            throw EnrollmentStoreError(.invalidArgument, "the scratch codes cannot be hashed")
        }
        if records[user] != nil && !replace { throw EnrollmentStoreError(.alreadyEnrolled, "\(user) is already enrolled") }
        var imported = record
        imported.pendingUntil = nil
        imported.backupCodes = tagged.hashes
        records[user] = imported
        states[user] = UserState.fresh(for: imported, lastStep: lastStep)
        pending[user] = nil
        return Activation(backupCodes: tagged.kept, stateReset: true)
    }

    public func reset(user: String) throws(EnrollmentStoreError) -> Bool {
        try failIfAsked()
        let had = records[user] != nil || pending[user] != nil || states[user] != nil
        records[user] = nil
        pending[user] = nil
        states[user] = nil
        return had
    }

    public func unlock(user: String) throws(EnrollmentStoreError) -> UnlockedState? {
        try failIfAsked()
        guard records[user] != nil || states[user] != nil else { return nil }
        let state = states[user] ?? UserState()
        states[user] = state.unlocked()
        return UnlockedState(failures: state.failures, locked: state.locked)
    }

    public func regenerateBackupCodes(user: String) throws(EnrollmentStoreError) -> [String]? {
        try failIfAsked()
        guard var record = records[user] else { return nil }
        let backup = try NewBackupCodes.make(secret: record.secret, iterations: 1)
        record.backupCodes = backup.hashes
        records[user] = record
        states[user]?.usedBackupSalts = []
        states[user]?.graces = []
        return backup.codes
    }

    public func offerAtLogin(user: String, record: SecretRecord) throws(EnrollmentStoreError) -> LoginOfferRefusal? {
        try failIfAsked()
        return pending[user] == nil ? nil : LoginOfferRefusal("a pending enrollment waits", needsAdmin: false)
    }

    public func activateAtLogin(user: String, record: SecretRecord, code: String,
                                step: UInt64) throws(EnrollmentStoreError) -> LoginActivation {
        try failIfAsked()
        guard records[user] == nil, pending[user] == nil else { return .changedMeanwhile("\(user) was enrolled meanwhile") }
        return .activated(backupCodes: try install(record, user: user, lastStep: step, replace: false))
    }

    /// Activates `record` with new backup codes and a state fresh at `lastStep`.
    private func install(_ record: SecretRecord, user: String, lastStep: UInt64,
                         replace: Bool) throws(EnrollmentStoreError) -> [String] {
        if records[user] != nil && !replace { throw EnrollmentStoreError(.alreadyEnrolled, "\(user) is already enrolled") }
        let backup = try NewBackupCodes.make(secret: record.secret, iterations: 1)
        var active = record
        active.pendingUntil = nil
        active.backupCodes = backup.hashes
        active.created = now
        records[user] = active
        states[user] = UserState.fresh(for: active, lastStep: lastStep)
        pending[user] = nil
        return backup.codes
    }
}
