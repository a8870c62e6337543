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
        if waiting.addsToEnrollment, let credential = waiting.credentials.first {
            let added = try addCredential(user: user, credential: credential, counter: step)
            pending[user] = nil
            return .added(added)
        }
        let codes = try install(waiting, user: user, lastStep: step, replace: replace)
        return .accepted(backupCodes: codes)
    }

    public func addCredential(user: String, credential: Credential, counter: UInt64) throws(EnrollmentStoreError) -> Credential {
        try changing(user: user) { record, state throws(CredentialChangeError) in
            let (next, added) = try record.adding(credential)
            return (next, state.updating(CredentialState(fingerprint: added.fingerprint, lastCounter: counter)), added)
        }
    }

    public func removeCredential(user: String, name: String) throws(EnrollmentStoreError) -> Credential {
        try changing(user: user) { record, state throws(CredentialChangeError) in
            let (next, removed) = try record.removing(name)
            return (next, state, removed)
        }
    }

    public func renameCredential(user: String, name: String, label: String) throws(EnrollmentStoreError) -> Credential {
        try changing(user: user) { record, state throws(CredentialChangeError) in
            let next = try record.renaming(name, to: label)
            return (next, state, try next.credentialNamed(label))
        }
    }

    public func resyncCredential(user: String, name: String, first: String,
                                 second: String) throws(EnrollmentStoreError) -> CredentialResync.Found {
        let time = now
        return try changing(user: user) { record, state throws(CredentialChangeError) in
            try CredentialResync.apply(to: name, first: first, second: second, record: record, state: state, now: time)
        }
    }

    /// Applies `change` to the user's enrollment and state; the graces end.
    private func changing<Value>(user: String,
                                 _ change: (SecretRecord, UserState) throws(CredentialChangeError) -> (SecretRecord, UserState, Value))
        throws(EnrollmentStoreError) -> Value {
        try failIfAsked()
        guard let record = records[user] else { throw EnrollmentStoreError(.notEnrolled, "\(user) is not enrolled") }
        let changed: (SecretRecord, UserState, Value)
        do throws(CredentialChangeError) { changed = try change(record, (states[user] ?? UserState()).bound(to: record)) } catch {
            throw EnrollmentStoreError(.invalidArgument, error.description)
        }
        records[user] = changed.0
        var state = changed.1
        state.graces = []
        states[user] = state
        return changed.2
    }

    public func activate(user: String, record: SecretRecord, lastStep: UInt64,
                         replace: Bool) throws(EnrollmentStoreError) -> Activation {
        try failIfAsked()
        return Activation(backupCodes: try install(record, user: user, lastStep: lastStep, replace: replace), stateReset: true)
    }

    public func importEnrollment(user: String, record: SecretRecord, used: [CredentialState], scratchCodes: [String],
                                 mode: ImportMode) throws(EnrollmentStoreError) -> Activation {
        try failIfAsked()
        let imported: ImportedEnrollment
        switch mode {
        case .add:
            guard let existing = records[user] else { throw EnrollmentStoreError(.notEnrolled, "\(user) is not enrolled") }
            imported = try ImportedEnrollment.adding(record, used: used, scratchCodes: scratchCodes, to: existing,
                                                     state: states[user] ?? UserState())
        case .new, .replace:
            if records[user] != nil && mode == .new { throw EnrollmentStoreError(.alreadyEnrolled, "\(user) is already enrolled") }
            imported = try ImportedEnrollment.replacing(with: record, used: used, scratchCodes: scratchCodes, iterations: 1)
            pending[user] = nil
        }
        records[user] = imported.record
        states[user] = imported.state
        return Activation(backupCodes: imported.keptCodes, stateReset: true)
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
        guard let record = records[user] else { return nil }
        let (updated, codes) = try NewBackupCodes.replacing(in: record, iterations: 1)
        records[user] = updated
        states[user]?.usedBackupSalts = []
        states[user]?.graces = []
        return codes
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
        var (active, codes) = try NewBackupCodes.replacing(in: record, iterations: 1)
        active.pendingUntil = nil
        active.created = now
        records[user] = active
        states[user] = try UserState.fresh(confirmingFirstOf: active, at: lastStep)
        pending[user] = nil
        return codes
    }
}
