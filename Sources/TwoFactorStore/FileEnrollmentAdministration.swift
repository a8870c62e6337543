import Glibc
import TwoFactorCore

/// The file store behind `EnrollmentAdministration`: the secret in `secretFile` (in the store,
/// or among the user's own files in home mode), the pending enrollment, the state and the
/// lock in the store directory. Logins (`promptDigits`, `verify`) run exactly as in the
/// module's `FileEnrollmentStore`. Every change takes the user's lock, so it never
/// interleaves with a login's read-decide-write.
public final class FileEnrollmentAdministration<Secret: SecretFile>: EnrollmentAdministration {
    private let store: Store
    private let secretFile: Secret
    private let now: () -> Int64
    private let stateOptional: Bool
    private let policy: VerificationPolicy

    /// `stateOptional`: a user enrolling into their own files (home mode) may do without the
    /// store when it cannot be written; only the secret is written then. `now` is the clock.
    public init(store: Store, secretFile: Secret, policy: VerificationPolicy, stateOptional: Bool = false,
                now: @escaping () -> Int64) {
        self.store = store
        self.secretFile = secretFile
        self.now = now
        self.stateOptional = stateOptional
        self.policy = policy
    }

    /// The login side, fresh for each call: a `FileEnrollmentStore` serves one attempt.
    private var logins: FileEnrollmentStore {
        let secretFile = secretFile
        return FileEnrollmentStore(store: store, policy: policy,
                                   readSecret: { () throws(StoreError) in try secretFile.read() }, now: now)
    }

    // MARK: Logins

    public var readsEnrollmentBeforePrompt: Bool { logins.readsEnrollmentBeforePrompt }
    public var notEnrolledReason: String { logins.notEnrolledReason }

    public func promptDigits(user: String) throws(EnrollmentStoreError) -> Int? {
        try logins.promptDigits(user: user)
    }

    public func graceAge(user: String, service: String, key: String) throws(EnrollmentStoreError) -> Int64? {
        try logins.graceAge(user: user, service: service, key: key)
    }

    /// As a login, with the store created first when it is missing (the lock lives there).
    public func verify(user: String, answer: String, context: LoginContext) throws(EnrollmentStoreError) -> LoginVerification {
        try files { () throws(StoreError) in try store.createDirectory() }
        return try logins.verify(user: user, answer: answer, context: context)
    }

    // MARK: Administration

    public func location(of user: String) -> String { secretFile.path }

    public func status(user: String) throws(EnrollmentStoreError) -> EnrollmentStatus {
        let record = try readSecret()
        let pending = try readPending(user: user)
        let state = try readState(user: user)
        return EnrollmentStatus(record: record, pending: pending, state: state, now: now())
    }

    public func hasEnrollment(user: String) throws(EnrollmentStoreError) -> Bool {
        try readSecret() != nil
    }

    public func beginPending(user: String, record: SecretRecord) throws(EnrollmentStoreError) -> Int64 {
        var pending = record
        let until = now() + NewEnrollment.pendingLifetime
        pending.pendingUntil = until
        try locked(user: user) { () throws(EnrollmentStoreError) in
            try files { () throws(StoreError) in try Store.writeSecret(pending, to: store.pendingPath(for: user)) }
        }
        return until
    }

    public func confirmPending(user: String, code: String, replace: Bool) throws(EnrollmentStoreError) -> PendingConfirmation {
        guard let pending = try readPending(user: user) else { return .notPending }
        guard let until = pending.pendingUntil else {
            throw EnrollmentStoreError(.fileError, "the pending enrollment of \(user) has no pending_until line")
        }
        let time = now()
        guard time <= until else { return .expired(at: until) }
        guard let step = NewEnrollment.acceptedStep(of: code, record: pending, now: time) else {
            return .rejected(pendingUntil: until)
        }
        if pending.addsToEnrollment {
            guard let credential = pending.credentials.first else {
                throw EnrollmentStoreError(.fileError, "the pending credential of \(user) is empty")
            }
            let added = try locked(user: user) { () throws(EnrollmentStoreError) -> Credential in
                guard try readPending(user: user) == pending else {
                    throw EnrollmentStoreError(.fileError, "the pending enrollment of \(user) changed meanwhile; try again")
                }
                let added = try addLocked(user: user, credential: credential, counter: step)
                try files { () throws(StoreError) in try AtomicFile.remove(store.pendingPath(for: user)) }
                return added
            }
            return .added(added)
        }
        let (active, codes) = try withNewBackupCodes(pending)
        try locked(user: user) { () throws(EnrollmentStoreError) in
            // Checked without the lock above; make sure no other enrollment replaced it since.
            guard try readPending(user: user) == pending else {
                throw EnrollmentStoreError(.fileError, "the pending enrollment of \(user) changed meanwhile; try again")
            }
            _ = try install(active, user: user, state: try UserState.fresh(confirmingFirstOf: active, at: step),
                            replace: replace, stateWritable: true)
        }
        return .accepted(backupCodes: codes)
    }

    public func addCredential(user: String, credential: Credential, counter: UInt64) throws(EnrollmentStoreError) -> Credential {
        try locked(user: user) { () throws(EnrollmentStoreError) -> Credential in
            try addLocked(user: user, credential: credential, counter: counter)
        }
    }

    public func removeCredential(user: String, name: String) throws(EnrollmentStoreError) -> Credential {
        try changingCredentials(user: user) { record, state throws(CredentialChangeError) in
            let (next, removed) = try record.removing(name)
            return (next, state, removed)
        }
    }

    public func renameCredential(user: String, name: String, label: String) throws(EnrollmentStoreError) -> Credential {
        try changingCredentials(user: user, clearsGraces: false) { record, state throws(CredentialChangeError) in
            let next = try record.renaming(name, to: label)
            return (next, state, try next.credentialNamed(label))
        }
    }

    public func resyncCredential(user: String, name: String, first: String,
                                 second: String) throws(EnrollmentStoreError) -> CredentialResync.Found {
        let time = now()
        return try changingCredentials(user: user) { record, state throws(CredentialChangeError) in
            try CredentialResync.apply(to: name, first: first, second: second, record: record, state: state, now: time)
        }
    }

    public func activate(user: String, record: SecretRecord, lastStep: UInt64,
                         replace: Bool) throws(EnrollmentStoreError) -> Activation {
        let (active, codes) = try withNewBackupCodes(record)
        let stateReset = try lockedIfPossible(user: user) { writable throws(EnrollmentStoreError) in
            try install(active, user: user, state: try UserState.fresh(confirmingFirstOf: active, at: lastStep),
                        replace: replace, stateWritable: writable)
        }
        return Activation(backupCodes: codes, stateReset: stateReset)
    }

    public func importEnrollment(user: String, record: SecretRecord, used: [CredentialState], scratchCodes: [String],
                                 mode: ImportMode) throws(EnrollmentStoreError) -> Activation {
        guard mode != .add else {
            try locked(user: user) { () throws(EnrollmentStoreError) in
                guard let existing = try readSecret() else { throw EnrollmentStoreError(.notEnrolled, "\(user) is not enrolled") }
                let merged = try ImportedEnrollment.adding(record, used: used, scratchCodes: scratchCodes, to: existing,
                                                           state: try readState(user: user))
                try writeBoth(merged.record, previous: existing, state: merged.state, user: user)
            }
            return Activation(backupCodes: [], stateReset: true)
        }
        let imported = try ImportedEnrollment.replacing(with: record, used: used, scratchCodes: scratchCodes)
        let stateReset = try lockedIfPossible(user: user) { writable throws(EnrollmentStoreError) in
            try install(imported.record, user: user, state: imported.state, replace: mode == .replace, stateWritable: writable)
        }
        return Activation(backupCodes: imported.keptCodes, stateReset: stateReset)
    }

    public func reset(user: String) throws(EnrollmentStoreError) -> Bool {
        let hasSecret = try files { () throws(StoreError) in try secretFile.exists() }
        guard hasSecret || (storeExists && (exists(store.pendingPath(for: user)) || exists(store.statePath(for: user)))) else {
            return false
        }
        try locked(user: user) { () throws(EnrollmentStoreError) in try removeEverything(user: user) }
        return true
    }

    public func unlock(user: String) throws(EnrollmentStoreError) -> UnlockedState? {
        let enrolled = try readSecret() != nil
        guard storeExists, enrolled || exists(store.statePath(for: user)) else { return nil }
        return try locked(user: user) { () throws(EnrollmentStoreError) -> UnlockedState in
            let state = try readState(user: user)
            let cleared = state.unlocked()
            if cleared != state { try writeState(cleared, user: user) }
            return UnlockedState(failures: state.failures, locked: state.locked)
        }
    }

    public func regenerateBackupCodes(user: String) throws(EnrollmentStoreError) -> [String]? {
        guard try readSecret() != nil else { return nil }
        let backup = try NewBackupCodes.make()
        return try changingCredentials(user: user) { record, state throws(CredentialChangeError) in
            var next = record
            next.backupKey = backup.key
            next.backupCodes = backup.hashes
            // The old codes' use ends with them.
            var cleared = state
            cleared.usedBackupSalts = []
            return (next, cleared, backup.codes)
        }
    }

    public func offerAtLogin(user: String, record: SecretRecord) throws(EnrollmentStoreError) -> LoginOfferRefusal? {
        guard try readPending(user: user) == nil else {
            return LoginOfferRefusal("a pending enrollment waits for swift-2fa-setup confirm", needsAdmin: false)
        }
        return nil
    }

    public func activateAtLogin(user: String, record: SecretRecord, code: String,
                                step: UInt64) throws(EnrollmentStoreError) -> LoginActivation {
        let (active, codes) = try withNewBackupCodes(record)
        return try locked(user: user) { () throws(EnrollmentStoreError) -> LoginActivation in
            guard try readSecret() == nil, try readPending(user: user) == nil else {
                return .changedMeanwhile("\(user) was enrolled meanwhile; the new secret was not stored")
            }
            _ = try install(active, user: user, state: try UserState.fresh(confirmingFirstOf: active, at: step),
                            replace: false, stateWritable: true)
            return .activated(backupCodes: codes)
        }
    }

    // MARK: Files

    /// `record` made now, with ten new backup codes: the record to install and the codes to show.
    private func withNewBackupCodes(_ record: SecretRecord) throws(EnrollmentStoreError) -> (SecretRecord, [String]) {
        var (active, codes) = try NewBackupCodes.replacing(in: record)
        active.created = now()
        return (active, codes)
    }

    /// Adds `credential` to the active enrollment with the lock held; its code at `counter` is used.
    private func addLocked(user: String, credential: Credential, counter: UInt64) throws(EnrollmentStoreError) -> Credential {
        guard let record = try readSecret() else { throw EnrollmentStoreError(.notEnrolled, "\(user) is not enrolled") }
        let added: (record: SecretRecord, added: Credential)
        do throws(CredentialChangeError) { added = try record.adding(credential) } catch {
            throw EnrollmentStoreError(.invalidArgument, error.description)
        }
        var state = try readState(user: user).bound(to: added.record)
        state = state.updating(CredentialState(fingerprint: added.added.fingerprint, lastCounter: counter))
        state.graces = []
        try writeBoth(added.record, previous: record, state: state, user: user)
        return added.added
    }

    /// Applies `change` to the active enrollment and its state with the lock held and writes
    /// both, the graces cleared unless `clearsGraces` is false; returns the change's value.
    private func changingCredentials<Value>(user: String, clearsGraces: Bool = true,
                                            _ change: (SecretRecord, UserState) throws(CredentialChangeError) -> (SecretRecord, UserState, Value))
        throws(EnrollmentStoreError) -> Value {
        try locked(user: user) { () throws(EnrollmentStoreError) -> Value in
            guard let record = try readSecret() else { throw EnrollmentStoreError(.notEnrolled, "\(user) is not enrolled") }
            let before = try readState(user: user).bound(to: record)
            let changed: (SecretRecord, UserState, Value)
            do throws(CredentialChangeError) {
                changed = try change(record, before)
            } catch {
                throw EnrollmentStoreError(.invalidArgument, error.description)
            }
            var state = changed.1
            if clearsGraces { state.graces = [] }
            try writeBoth(changed.0, previous: record, state: state, user: user)
            return changed.2
        }
    }

    /// Writes the secret, then the state; when the state cannot be written, the previous
    /// secret is put back, so a failure changes nothing. With the lock held.
    private func writeBoth(_ record: SecretRecord, previous: SecretRecord, state: UserState,
                           user: String) throws(EnrollmentStoreError) {
        try files { () throws(StoreError) in try secretFile.write(record) }
        do throws(EnrollmentStoreError) { try writeState(state, user: user) } catch {
            try? secretFile.write(previous)
            throw error
        }
    }


    /// Writes the secret and the new enrollment's `state`, and removes any pending
    /// enrollment; with the lock held. When the state cannot be written, the previous secret
    /// is put back. Without `stateWritable` (see `stateOptional`) only the secret is written.
    /// Returns whether the state was reset.
    private func install(_ record: SecretRecord, user: String, state: UserState, replace: Bool,
                         stateWritable: Bool) throws(EnrollmentStoreError) -> Bool {
        var active = record
        active.pendingUntil = nil
        let previous: SecretRecord?
        if replace {
            // A damaged enrollment may be replaced; it is then not put back on failure.
            previous = (try? readSecret()) ?? nil
        } else {
            previous = try readSecret()
            if previous != nil { throw EnrollmentStoreError(.alreadyEnrolled, "\(user) is already enrolled") }
        }
        try files { () throws(StoreError) in try secretFile.write(active) }
        guard stateWritable else { return false }
        do throws(EnrollmentStoreError) {
            try writeState(state, user: user)
        } catch {
            // Put the previous enrollment back, so the failure changes nothing.
            if let previous { try? secretFile.write(previous) } else { try? secretFile.remove() }
            throw error
        }
        try files { () throws(StoreError) in try AtomicFile.remove(store.pendingPath(for: user)) }
        return true
    }

    /// Removes the secret, pending and state files, with the lock held.
    private func removeEverything(user: String) throws(EnrollmentStoreError) {
        try files { () throws(StoreError) in
            try secretFile.remove()
            try AtomicFile.remove(store.pendingPath(for: user))
            try AtomicFile.remove(store.statePath(for: user))
        }
    }

    /// Runs `body` with the user's lock, creating the store when it is missing.
    private func locked<Value>(user: String, _ body: () throws(EnrollmentStoreError) -> Value) throws(EnrollmentStoreError) -> Value {
        let lock = try files { () throws(StoreError) -> UserLock in
            try store.createDirectory()
            return try store.lock(user: user)
        }
        defer { lock.release() }
        return try body()
    }

    /// `locked`, or, with `stateOptional` and a store that cannot be used, `body` without the
    /// lock and told so.
    private func lockedIfPossible<Value>(user: String,
                                         _ body: (_ stateWritable: Bool) throws(EnrollmentStoreError) -> Value) throws(EnrollmentStoreError) -> Value {
        let lock: UserLock
        do throws(StoreError) {
            try store.createDirectory()
            lock = try store.lock(user: user)
        } catch {
            guard stateOptional else { throw EnrollmentStoreError(file: error) }
            return try body(false)
        }
        defer { lock.release() }
        return try body(true)
    }

    private var storeExists: Bool { exists(store.directory) }

    private func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    private func readSecret() throws(EnrollmentStoreError) -> SecretRecord? {
        try files { () throws(StoreError) in try secretFile.read() }
    }

    /// The pending enrollment; nil when there is none (or no store).
    private func readPending(user: String) throws(EnrollmentStoreError) -> SecretRecord? {
        guard storeExists else { return nil }
        return try files { () throws(StoreError) in try store.readPending(user: user) }
    }

    /// The state; the initial one when there is no store or no state file yet.
    private func readState(user: String) throws(EnrollmentStoreError) -> UserState {
        guard storeExists else { return UserState() }
        do throws(StoreError) { return try store.readState(user: user) } catch {
            throw EnrollmentStoreError(.stateError, error.description)
        }
    }

    private func writeState(_ state: UserState, user: String) throws(EnrollmentStoreError) {
        do throws(StoreError) { try store.writeState(state, user: user) } catch {
            throw EnrollmentStoreError(.stateError, error.description)
        }
    }

    /// Runs a file operation; its failure is a `.fileError`.
    private func files<Value>(_ body: () throws(StoreError) -> Value) throws(EnrollmentStoreError) -> Value {
        do throws(StoreError) { return try body() } catch { throw EnrollmentStoreError(file: error) }
    }
}
