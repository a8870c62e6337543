import TwoFactorCore
import TwoFactorStore

/// The JSON object of `import --pam-oath --json` and `import --pskc --json`: each user's
/// imported credentials, as `status` shows them, and the findings.
struct ImportedUsersOutput: Encodable {
    struct User: Encodable {
        let user: String
        /// `new`, `replace` or `add`.
        let mode: String
        let credentials: [ImportedCredentialOutput]

        init(_ prepared: ImportPlan.Prepared) {
            user = prepared.plan.target.user
            switch prepared.plan.mode {
            case .new: mode = "new"
            case .replace: mode = "replace"
            case .add: mode = "add"
            }
            credentials = zip(prepared.credentials, prepared.plan.keys).map { credential, key in
                ImportedCredentialOutput(credential: credential, from: key.origin)
            }
        }
    }

    let users: [User]
    let findings: [String]
}

/// One imported credential in `ImportedUsersOutput`: `CredentialOutput`'s keys and `from`,
/// where it came from (`line 3`, `KeyPackage 2 (Key "abc")`).
struct ImportedCredentialOutput: Encodable {
    let credential: CredentialOutput
    let from: String

    enum CodingKeys: String, CodingKey {
        case from
    }

    func encode(to encoder: Encoder) throws {
        try credential.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(from, forKey: .from)
    }
}
