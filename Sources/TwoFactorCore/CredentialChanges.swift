/// Why a change to a user's credentials was refused. The text never holds a code or a secret.
public struct CredentialChangeError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The changes to a record's credentials, the same in every store: each returns the new
/// record, or refuses with a reason and changes nothing.
extension SecretRecord {
    /// This record with `credential` added under the next free id; its label must be valid
    /// and not taken, and the record must have room.
    public func adding(_ credential: Credential) throws(CredentialChangeError) -> (record: SecretRecord, added: Credential) {
        guard credentials.count < Credential.maximumCount else {
            throw CredentialChangeError("a user holds at most \(Credential.maximumCount) credentials; remove one first")
        }
        guard Credential.isValidLabel(credential.label) else { throw CredentialChangeError(Self.labelRule) }
        guard !credentials.contains(where: { $0.label == credential.label }) else {
            throw CredentialChangeError("a credential is already labelled '\(credential.label)'")
        }
        var added = credential
        added.id = nextCredentialID
        guard added.isValid else { throw CredentialChangeError("the new credential is invalid") }
        var next = self
        next.credentials.append(added)
        return (next, added)
    }

    /// This record without the credential `name` (an id or a label). The last credential is
    /// not removed: removing it is `disable` (or `reset`).
    public func removing(_ name: String) throws(CredentialChangeError) -> (record: SecretRecord, removed: Credential) {
        let found = try credentialNamed(name)
        guard credentials.count > 1 else {
            throw CredentialChangeError("'\(found.label)' is the last credential; use disable (or --force) to remove the enrollment")
        }
        var next = self
        next.credentials.removeAll { $0.id == found.id }
        return (next, found)
    }

    /// This record with the credential `name` labelled `label`.
    public func renaming(_ name: String, to label: String) throws(CredentialChangeError) -> SecretRecord {
        let found = try credentialNamed(name)
        guard Credential.isValidLabel(label) else { throw CredentialChangeError(Self.labelRule) }
        guard !credentials.contains(where: { $0.label == label && $0.id != found.id }) else {
            throw CredentialChangeError("a credential is already labelled '\(label)'")
        }
        var next = self
        for index in next.credentials.indices where next.credentials[index].id == found.id {
            next.credentials[index].label = label
        }
        return next
    }

    /// This record with the credential `name`'s kind replaced (a resync's new offset or counter).
    public func replacingKind(of name: String, with kind: Credential.Kind) throws(CredentialChangeError) -> SecretRecord {
        let found = try credentialNamed(name)
        var next = self
        for index in next.credentials.indices where next.credentials[index].id == found.id {
            next.credentials[index].kind = kind
            guard next.credentials[index].isValid else { throw CredentialChangeError("the resynchronised credential is invalid") }
        }
        return next
    }

    /// The credential `name` (an id or a label), or a reason listing what there is.
    public func credentialNamed(_ name: String) throws(CredentialChangeError) -> Credential {
        if let found = credential(named: name) { return found }
        let known = credentials.map { "\($0.id) (\($0.label))" }.joined(separator: ", ")
        throw CredentialChangeError("no credential '\(name.prefix(40))'; the user has \(known)")
    }

    /// What a valid label is, for messages.
    public static let labelRule = "a label is 1 to \(Credential.maximumLabelLength) letters, digits, '.', '_' or '-', "
        + "starting with a letter or digit"
}
