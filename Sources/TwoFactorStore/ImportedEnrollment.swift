import TwoFactorCore

/// The enrollment and state an import leaves, the same in every store that keeps records and
/// state itself (files, memory): the rules of `EnrollmentAdministration.importEnrollment`.
struct ImportedEnrollment {
    /// The record to store.
    let record: SecretRecord
    /// The state to store with it.
    let state: UserState
    /// The scratch codes kept as backup codes.
    let keptCodes: [String]

    /// A new enrollment (`ImportMode.new` or `.replace`): `record` with `scratchCodes` as its
    /// backup codes and a state holding only what `used` says of its credentials.
    static func replacing(with record: SecretRecord, used: [CredentialState], scratchCodes: [String],
                          iterations: UInt32 = BackupCodeHash.defaultIterations) throws(EnrollmentStoreError) -> ImportedEnrollment {
        try check(record)
        guard let tagged = BackupCodes.hashes(for: scratchCodes, secret: record.backupKey, iterations: iterations) else {
            throw EnrollmentStoreError(.invalidArgument, "the scratch codes cannot be hashed")
        }
        var imported = record
        imported.pendingUntil = nil
        imported.addsToEnrollment = false
        imported.backupCodes = tagged.hashes
        var state = UserState()
        for credential in imported.credentials {
            if let known = used.first(where: { $0.fingerprint == credential.fingerprint }) { state = state.updating(known) }
        }
        return ImportedEnrollment(record: imported, state: state, keptCodes: tagged.kept)
    }

    /// `ImportMode.add`: `existing` (with its `state`) and the credentials of `record` under
    /// the next free ids, each with what `used` says of it; the graces end, the backup codes stay.
    static func adding(_ record: SecretRecord, used: [CredentialState], scratchCodes: [String], to existing: SecretRecord,
                       state: UserState) throws(EnrollmentStoreError) -> ImportedEnrollment {
        try check(record)
        guard scratchCodes.isEmpty else {
            throw EnrollmentStoreError(.invalidArgument, "scratch codes cannot be added to an enrollment")
        }
        var merged = existing
        var next = state.bound(to: existing)
        do throws(CredentialChangeError) {
            for credential in record.credentials {
                let added = try merged.adding(credential)
                merged = added.record
                if let known = used.first(where: { $0.fingerprint == added.added.fingerprint }) { next = next.updating(known) }
            }
        } catch {
            throw EnrollmentStoreError(.invalidArgument, error.description)
        }
        next.graces = []
        return ImportedEnrollment(record: merged, state: next, keptCodes: [])
    }

    /// Refuses a record without credentials, with too many, or with an invalid or repeated one.
    static func check(_ record: SecretRecord) throws(EnrollmentStoreError) {
        guard (1...Credential.maximumCount).contains(record.credentials.count) else {
            throw EnrollmentStoreError(.invalidArgument, "an import holds 1 to \(Credential.maximumCount) credentials")
        }
        for (index, credential) in record.credentials.enumerated() {
            guard credential.isValid else {
                throw EnrollmentStoreError(.invalidArgument, "imported credential '\(credential.label)' is invalid")
            }
            guard !record.credentials[..<index].contains(where: { $0.id == credential.id || $0.label == credential.label }) else {
                throw EnrollmentStoreError(.invalidArgument, "imported credential '\(credential.label)' repeats an id or label")
            }
        }
    }
}
