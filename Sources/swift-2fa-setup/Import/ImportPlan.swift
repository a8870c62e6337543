import TwoFactorCore
import TwoFactorStore

/// One user's part of an import: the keys that become credentials, where each came from
/// (named in every message: `line 3`, `KeyPackage 2: Key "abc"`), the scratch codes that
/// become backup codes, and what happens to an enrollment the user has. `prepare` checks
/// everything without writing; `write` then writes, so an import with several users checks
/// them all before writing any.
struct ImportPlan {
    /// One key and where it came from.
    struct Key {
        let origin: String
        let key: ImportedCredential
    }

    let target: ManagedUser
    let keys: [Key]
    let scratchCodes: [String]
    let mode: ImportMode

    /// A plan checked against the user's enrollment, ready to write.
    struct Prepared {
        let plan: ImportPlan
        let record: SecretRecord
        let used: [CredentialState]
    }

    /// The record to import and the used states, with the labels made valid and unique
    /// (`key-N` for the Nth key when a suggestion leaves nothing). Refuses, naming the user
    /// and the keys, an enrolled user without `--force` or `--add`, `--add` for a user who
    /// is not enrolled or would hold more than `Credential.maximumCount`, and a key given twice.
    func prepare(now: Int64) throws(SetupFailure) -> Prepared {
        let user = target.user
        let origins = keys.map(\.origin).joined(separator: ", ")
        // Replacing reads nothing (a damaged enrollment may be replaced); a new enrollment
        // reads only the secret (a user importing into their own files may not read the state).
        var existing: [CredentialStatus] = []
        switch mode {
        case .replace: break
        case .new:
            if try storeCall({ () throws(EnrollmentStoreError) in try target.enrollments.hasEnrollment(user: user) }) {
                throw .usage("\(user) is already enrolled (\(origins)); use --force to replace the enrollment "
                             + "or --add to add the credentials to it")
            }
        case .add:
            let status = try storeCall { () throws(EnrollmentStoreError) in try target.enrollments.status(user: user) }
            if status.phase == .enrolled { existing = status.credentials }
        }
        switch mode {
        case .add where existing.isEmpty:
            throw .usage("--add: \(user) is not enrolled (\(origins))")
        case .add where existing.count + keys.count > Credential.maximumCount:
            throw .usage("\(user) holds \(existing.count) credentials and would hold \(existing.count + keys.count) (\(origins)); "
                         + "at most \(Credential.maximumCount)")
        case .new, .replace, .add:
            guard keys.count <= Credential.maximumCount else {
                throw .usage("\(user) would hold \(keys.count) credentials (\(origins)); at most \(Credential.maximumCount)")
            }
        }
        var taken = Set(mode == .add ? existing.map(\.label) : [])
        var credentials: [Credential] = []
        var used: [CredentialState] = []
        for (index, key) in keys.enumerated() {
            if let earlier = keys[..<index].firstIndex(where: { $0.key.secret == key.key.secret }) {
                throw .usage("\(key.origin) has the same secret as \(keys[earlier].origin) (\(user))")
            }
            let label = ImportedLabel.make(from: key.key.label, fallback: "key-\(index + 1)", avoiding: taken)
            taken.insert(label)
            // `--add`: the ids the store gives, after the highest.
            let made = key.key.credential(id: (existing.map(\.id).max() ?? 0) + index + 1, label: label, created: now)
            credentials.append(made.credential)
            if let state = made.used { used.append(state) }
        }
        guard let backupKey = SecureRandom.bytes(NewEnrollment.secretLength) else {
            throw .io("the system random number generator failed")
        }
        let record = SecretRecord(credentials: credentials, created: now, backupKey: backupKey)
        return Prepared(plan: self, record: record, used: used)
    }
}

extension ImportPlan.Prepared {
    /// Writes the import into the user's store and runs the event hook; returns the scratch
    /// codes kept as backup codes.
    func write() throws(SetupFailure) -> [String] {
        let target = plan.target
        let event: HookEvent.Kind? = plan.mode == .add
            ? (target.notifyProgram == nil ? nil : .credentialAdded) : target.activationEvent(replace: plan.mode == .replace)
        let activation = try storeCall { () throws(EnrollmentStoreError) in
            try target.enrollments.importEnrollment(user: target.user, record: record, used: used,
                                                    scratchCodes: plan.scratchCodes, mode: plan.mode)
        }
        target.notify(event)
        if !activation.stateReset { target.warnStateNotReset() }
        return activation.backupCodes
    }

    /// The imported credentials as `status` shows them, with what each had used.
    var credentials: [CredentialOutput] {
        record.credentials.map { credential in
            let state = used.first { $0.fingerprint == credential.fingerprint } ?? CredentialState(fingerprint: credential.fingerprint)
            return CredentialOutput(CredentialStatus(credential, state: state))
        }
    }
}
