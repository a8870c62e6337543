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

    enum CodingKeys: String, CodingKey {
        case user, uid, shell, status, credentials, locked, failures, exempt, error
        case loginWith = "login_with"
        case throttledUntil = "throttled_until"
        case backupCodesLeft = "backup_codes_left"
        case lastAccepted = "last_accepted"
        case needsEnrollment = "needs_enrollment"
    }

    /// Every key is present; absent values are `null`.
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(user, forKey: .user)
        try container.encode(account.passwd.uid, forKey: .uid)
        try container.encode(account.shell, forKey: .shell)
        try container.encode(account.loginWith, forKey: .loginWith)
        try container.encode(state, forKey: .status)
        try container.encode(status?.credentials, forKey: .credentials)
        try container.encode(status?.locked, forKey: .locked)
        try container.encode(status?.failures, forKey: .failures)
        try container.encode(status?.throttledUntil.map(Output.isoDate), forKey: .throttledUntil)
        try container.encode(status?.backupCodesLeft, forKey: .backupCodesLeft)
        try container.encode(status?.lastAccepted.map(Output.isoDate), forKey: .lastAccepted)
        try container.encode(exemption, forKey: .exempt)
        try container.encode(needsEnrollment, forKey: .needsEnrollment)
        try container.encode(problem, forKey: .error)
    }
}
