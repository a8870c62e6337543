import TwoFactorStore

/// One line of `report`: an account that can log in, its enrollment and its exemption.
struct AccountCoverage: Encodable {
    let account: LoginAccount
    /// Nil when the enrollment could not be read (`problem` says why).
    let status: EnrollmentStatus?
    let problem: String?
    /// Why the service does not ask this account for a code; nil when it asks.
    let exemption: String?

    var user: String { account.passwd.name }

    /// True when the service asks this account for a code and it has no active enrollment.
    var needsEnrollment: Bool { exemption == nil && status?.phase != .enrolled }

    /// `enrolled`, `pending`, `not enrolled`, or `unreadable`.
    var state: String { status?.phase.rawValue ?? "unreadable" }

    /// `locked`, `throttled until TIME`, or nil.
    var lock: String? {
        guard let status else { return nil }
        if status.locked { return "locked" }
        return status.throttledUntil.map { "throttled until \(Output.isoDate($0))" }
    }

    /// The JSON object of one account: every key present, an unknown value `null`.
    func encode(to encoder: Encoder) throws {
        try Row(user: user, uid: account.passwd.uid, shell: account.shell, loginWith: account.loginWith, status: state,
                credentials: JSONNullable(status?.credentialCount), locked: JSONNullable(status?.locked),
                failures: JSONNullable(status?.failures),
                throttledUntil: JSONNullable(status?.throttledUntil.map(Output.isoDate)),
                backupCodesLeft: JSONNullable(status?.backupCodesLeft),
                lastAccepted: JSONNullable(status?.lastAccepted.map(Output.isoDate)),
                exempt: JSONNullable(exemption), needsEnrollment: needsEnrollment,
                error: JSONNullable(problem)).encode(to: encoder)
    }

    private struct Row: Encodable {
        let user: String
        let uid: UInt32
        let shell: String
        let loginWith: [String]
        let status: String
        let credentials: JSONNullable<Int>
        let locked: JSONNullable<Bool>
        let failures: JSONNullable<Int>
        let throttledUntil: JSONNullable<String>
        let backupCodesLeft: JSONNullable<Int>
        let lastAccepted: JSONNullable<String>
        let exempt: JSONNullable<String>
        let needsEnrollment: Bool
        let error: JSONNullable<String>

        enum CodingKeys: String, CodingKey {
            case user, uid, shell, status, credentials, locked, failures, exempt, error
            case loginWith = "login_with"
            case throttledUntil = "throttled_until"
            case backupCodesLeft = "backup_codes_left"
            case lastAccepted = "last_accepted"
            case needsEnrollment = "needs_enrollment"
        }
    }
}
