import TwoFactorCore

/// The fleet store: enrollments, state and policy in PostgreSQL (schema `swift2fa`, see
/// fleet/schema), shared by every server. Secrets never leave the database: a server calls
/// `verify`, which checks the answer and applies replay, throttle and lock under the user's
/// row lock, with the database's clock and the fleet's one policy.
///
/// Each method runs one function on `connection`: the login process's `PoolerConnection`
/// (one session for the whole attempt) or the admin command's libpq connection. Nothing is
/// cached. Every failure throws a `EnrollmentStoreError`; an unreachable, slow or read-only database,
/// or an answer that cannot be trusted, is `.databaseUnavailable`, never "not enrolled".
public struct FleetStore<Connection: FleetConnection> {
    /// How statements reach the database.
    public let connection: Connection
    /// Set for `serve-user`'s calls: `verify`, `status`, `credentials`, the credential changes,
    /// new backup codes and pending credentials then go through the self_* functions with
    /// this session (see `FleetSelfService`).
    public var selfService: FleetSelfService?

    /// The default of `database_timeout`.
    public static var defaultTimeout: Int { FleetSettings.defaultTimeoutSeconds }

    public init(connection: Connection) {
        self.connection = connection
    }

    /// The call of the schema's function `name` with one parameter per entry of `casts` (a
    /// type to cast to, or "" for text), or for a self-service caller that of `self_name`
    /// with the session token as its last parameter; and the arguments to send with it.
    func call(_ name: String, _ casts: [String], _ arguments: [String?]) -> (sql: String, arguments: [String?]) {
        var casts = casts
        var arguments = arguments
        var function = "swift2fa." + name
        if let selfService {
            function = "swift2fa.self_" + name
            casts.append("")
            arguments.append(selfService.token)
        }
        let parameters = casts.enumerated().map { "$\($0.offset + 1)" + ($0.element.isEmpty ? "" : "::" + $0.element) }
        return (function + "(" + parameters.joined(separator: ", ") + ")", arguments)
    }

    // MARK: Server functions (the server role may call these)

    /// Checks `answer` (a code of any of the user's credentials, or a backup code, as typed) for
    /// `user` in one database transaction, and writes the new state and an audit row (with
    /// `service` and `rhost`). The answer also says how many backup codes are left (nil when not
    /// enrolled), whether this attempt locked the factor, the label of the credential whose code
    /// was accepted, and a drift finding of a rejected code, as the file store's does.
    /// A self-service caller's accepted answer also opens its session (`swift2fa.self_open`).
    public func verify(user: String, answer: String, service: String, rhost: String?) throws(EnrollmentStoreError) -> LoginVerification {
        let columns = "SELECT outcome, failures, throttled_until, backup_codes_left, locked_now, credential, drift FROM "
        let rows: [[String?]]
        if let selfService {
            rows = try connection.run(columns + "swift2fa.self_open($1, $2, $3, $4, $5::integer)",
                                      [user, answer, rhost, selfService.token, String(selfService.sessionSeconds)])
        } else {
            rows = try connection.run(columns + "swift2fa.verify($1, $2, $3, $4)", [user, answer, service, rhost])
        }
        let row = try single(rows, columns: 7)
        let backupCodesLeft = row[3].flatMap { Int($0) }
        guard let word = row[0], let outcome = LoginVerification.Outcome(rawValue: word), outcome != .enrollmentChanged,
              let failures = row[1].flatMap({ Int($0) }), let until = row[2].flatMap({ Int64($0) }),
              row[3] == nil || backupCodesLeft != nil, let lockedNow = row[4], lockedNow == "t" || lockedNow == "f" else {
            throw EnrollmentStoreError(.databaseError, "swift2fa.verify returned an unknown answer")
        }
        var verification = LoginVerification(outcome, failures: failures, throttledUntil: until,
                                              backupCodesLeft: backupCodesLeft, lockedNow: lockedNow == "t")
        verification.credential = row[5]
        verification.drift = row[6]
        return verification
    }

    /// Seconds since the user's grace for `service` and the place `key` began, by the
    /// database's clock; nil when none is recorded.
    public func graceAge(user: String, service: String, key: String) throws(EnrollmentStoreError) -> Int64? {
        let row = try single(connection.run("SELECT swift2fa.grace_age($1, $2, $3)", [user, service, key]), columns: 1)
        guard let text = row[0] else { return nil }
        guard let age = Int64(text) else { throw EnrollmentStoreError(.databaseError, "swift2fa.grace_age returned \(text)") }
        return age
    }

    /// Records a grace for `service` and the place `key` now (after an accepted code).
    public func recordGrace(user: String, service: String, key: String) throws(EnrollmentStoreError) {
        _ = try connection.run("SELECT swift2fa.record_grace($1, $2, $3)", [user, service, key])
    }

    /// The number of digits of the user's codes (for the prompt); nil when not enrolled.
    public func promptDigits(user: String) throws(EnrollmentStoreError) -> Int? {
        let row = try single(connection.run("SELECT swift2fa.prompt_digits($1)", [user]), columns: 1)
        guard let text = row[0] else { return nil }
        guard let digits = Int(text) else { throw EnrollmentStoreError(.databaseError, "swift2fa.prompt_digits returned \(text)") }
        return digits
    }

    /// True when the user has an active enrollment.
    public func hasEnrollment(user: String) throws(EnrollmentStoreError) -> Bool {
        try promptDigits(user: user) != nil
    }

    /// Starts (or restarts) a pending enrollment of one TOTP credential; allowed only while the
    /// user has no active one (else `.alreadyEnrolled`), and for a server role only with the
    /// enrollment right (else `.notAllowed`) and while no unexpired one the admin started waits
    /// (else `.adminPending`). Returns the Unix time it expires at.
    public func beginPending(user: String, secret: [UInt8], parameters: OTPParameters) throws(EnrollmentStoreError) -> Int64 {
        let row = try single(connection.run("SELECT swift2fa.begin_pending($1, $2::bytea, $3, $4::integer, $5::integer)",
                                      [user, Self.byteaText(secret), parameters.algorithm.rawValue,
                                       String(parameters.digits), String(parameters.period)]), columns: 1)
        return try Self.time(row[0], of: "begin_pending")
    }

    /// The admin's pending credential (TOTP or HOTP, with its label); with `adds` it joins the
    /// active enrollment when confirmed (`.notEnrolled` without one), else it is a new
    /// enrollment (`.alreadyEnrolled` with one). Returns the Unix time it expires at.
    /// For a self-service caller without `adds`, the credential replaces the enrollment when
    /// its code confirms it (`.notEnrolled` without one).
    public func beginPending(user: String, credential: Credential, adds: Bool) throws(EnrollmentStoreError) -> Int64 {
        let (function, arguments) = call(selfService == nil ? "admin_begin_pending" : "begin_pending",
                                          ["", "bytea", "", "", "", "integer", "integer", "bigint", "boolean"],
            [user, Self.byteaText(credential.secret), credential.label, credential.kindName, credential.algorithm.rawValue,
             String(credential.digits), credential.totpParameters.map { String($0.period) }, try FleetCredentialRows.counter(of: credential),
             adds ? "true" : "false"])
        let row = try single(connection.run("SELECT " + function, arguments), columns: 1)
        return try Self.time(row[0], of: "begin_pending")
    }

    /// What confirming a pending enrollment came to.
    public enum Confirmation: String, Equatable, Sendable {
        case accepted, added, rejected
        case notPending = "not-pending"
        case expired
    }

    /// Activates the pending enrollment when `code` is a current code of its credential, with
    /// `backupCodes` (as shown to the user); a pending credential to add joins the active
    /// enrollment instead (`added`). `replace` (admin role only) replaces an active one.
    /// A self-service caller confirms only a pending credential started through self-service,
    /// adding it or replacing as it was started; an accepted code opens its session.
    public func confirmPending(user: String, code: String, backupCodes: [String], replace: Bool) throws(EnrollmentStoreError) -> Confirmation {
        let rows: [[String?]]
        if let selfService {
            rows = try connection.run("SELECT swift2fa.self_confirm_pending($1, $2, $3::text[], $4, $5::integer)",
                                      [user, code, Self.arrayText(backupCodes), selfService.token,
                                       String(selfService.sessionSeconds)])
        } else {
            rows = try connection.run("SELECT swift2fa.confirm_pending($1, $2, $3::text[], $4::boolean)",
                                      [user, code, Self.arrayText(backupCodes), replace ? "true" : "false"])
        }
        let row = try single(rows, columns: 1)
        guard let word = row[0], let result = Confirmation(rawValue: word) else {
            throw EnrollmentStoreError(.databaseError, "swift2fa.confirm_pending returned an unknown answer")
        }
        return result
    }

    // MARK: Admin functions (the admin role only)

    /// Activates `record`, whose first credential's code the caller checked (its step or
    /// counter is `lastStep`), with `backupCodes` as shown to the user. Without `replace`, an
    /// enrolled user is refused.
    public func enroll(user: String, record: SecretRecord, lastStep: UInt64, backupCodes: [String],
                       replace: Bool) throws(EnrollmentStoreError) {
        let used = record.credentials.first.map { [CredentialState(fingerprint: $0.fingerprint, lastCounter: lastStep)] } ?? []
        _ = try connection.run("SELECT swift2fa.admin_activate($1, $2::bytea, $3::jsonb, $4::text[], $5::boolean)",
                               [user, Self.byteaText(record.backupKey), try FleetCredentialRows.json(record.credentials, used: used),
                                Self.arrayText(backupCodes), replace ? "true" : "false"])
    }

    /// Moves an enrollment made elsewhere in: its credentials with what each used (`state`,
    /// by fingerprint), its throttle state, and `backupCodes` (as shown to the user; the file
    /// store's PBKDF2 hashes cannot move, the database hashes with bcrypt). With `.add` the
    /// credentials join the active enrollment under the next free ids.
    public func importEnrollment(user: String, record: SecretRecord, state: UserState, backupCodes: [String],
                                 mode: ImportMode) throws(EnrollmentStoreError) {
        let bound = state.bound(to: record)
        let modeName: String
        switch mode {
        case .new: modeName = "new"
        case .replace: modeName = "replace"
        case .add: modeName = "add"
        }
        _ = try connection.run("""
            SELECT swift2fa.admin_import($1, $2::bytea, $3::bigint, $4::jsonb, $5::integer, $6::bigint, $7::boolean,
                                         $8::text[], $9)
            """,
            [user, Self.byteaText(record.backupKey), String(record.created),
             try FleetCredentialRows.json(record.credentials, used: bound.credentials),
             String(bound.failures), String(bound.throttledUntil), bound.locked ? "true" : "false",
             Self.arrayText(backupCodes), modeName])
    }

    /// A user's enrollment as `status` shows it.
    public struct Status: Equatable, Sendable {
        /// `enrolled`, `pending` or `not enrolled`.
        public let status: String
        /// The first credential's, when it is a TOTP one.
        public let parameters: OTPParameters?
        public let created: Int64?
        public let backupCodesLeft: Int?
        public let pendingUntil: Int64?
        public let failures: Int
        /// Set while throttled.
        public let throttledUntil: Int64?
        public let locked: Bool
        /// The last accepted login in the audit log (Unix time).
        public let lastAccepted: Int64?
        /// The last drift finding: the credential's label, the reason, and when.
        public let drift: (credential: String, reason: String, time: Int64)?

        public static func == (left: Status, right: Status) -> Bool {
            left.status == right.status && left.parameters == right.parameters && left.created == right.created
                && left.backupCodesLeft == right.backupCodesLeft && left.pendingUntil == right.pendingUntil
                && left.failures == right.failures && left.throttledUntil == right.throttledUntil && left.locked == right.locked
                && left.lastAccepted == right.lastAccepted && left.drift?.credential == right.drift?.credential
                && left.drift?.reason == right.drift?.reason && left.drift?.time == right.drift?.time
        }
    }

    public func status(user: String) throws(EnrollmentStoreError) -> Status {
        let (function, arguments) = call("status", [""], [user])
        let row = try single(connection.run("""
            SELECT status, algorithm, digits, period, created, backup_codes_left, pending_until, failures,
                   throttled_until, locked, last_accepted, drift_credential, drift_reason, drift_at FROM \(function)
            """, arguments), columns: 14)
        guard let status = row[0], let failures = row[7].flatMap({ Int($0) }), let locked = row[9] else {
            throw EnrollmentStoreError(.databaseError, "swift2fa.status returned an unknown answer")
        }
        var parameters: OTPParameters?
        if let name = row[1], let algorithm = HashAlgorithm(rawValue: name),
           let digits = row[2].flatMap({ Int($0) }), let period = row[3].flatMap({ Int($0) }) {
            parameters = OTPParameters(algorithm: algorithm, digits: digits, period: period)
        }
        var drift: (credential: String, reason: String, time: Int64)?
        if let credential = row[11], let reason = row[12], let time = row[13].flatMap({ Int64($0) }) {
            drift = (credential, reason, time)
        }
        return Status(status: status, parameters: parameters, created: row[4].flatMap { Int64($0) },
                      backupCodesLeft: row[5].flatMap { Int($0) }, pendingUntil: row[6].flatMap { Int64($0) },
                      failures: failures, throttledUntil: row[8].flatMap { Int64($0) }, locked: locked == "t",
                      lastAccepted: row[10].flatMap { Int64($0) }, drift: drift)
    }

    /// Removes the user's enrollment, pending enrollment and state; false when there was none.
    public func reset(user: String) throws(EnrollmentStoreError) -> Bool {
        try single(connection.run("SELECT swift2fa.reset($1)", [user]), columns: 1)[0] == "t"
    }

    /// Clears failures, back-off and lock; returns the failures and lock before, nil when not enrolled.
    public func unlock(user: String) throws(EnrollmentStoreError) -> (failures: Int, locked: Bool)? {
        let rows = try connection.run("SELECT failures, locked FROM swift2fa.unlock($1)", [user])
        guard let row = rows.first else { return nil }
        guard row.count == 2, let failures = row[0].flatMap({ Int($0) }) else {
            throw EnrollmentStoreError(.databaseError, "swift2fa.unlock returned an unknown answer")
        }
        return (failures, row[1] == "t")
    }

    /// Replaces the user's backup codes (as shown to the user); false when not enrolled.
    public func regenerateBackupCodes(user: String, codes: [String]) throws(EnrollmentStoreError) -> Bool {
        let (function, arguments) = call("regenerate_backup_codes", ["", "text[]"], [user, Self.arrayText(codes)])
        return try single(connection.run("SELECT " + function, arguments), columns: 1)[0] == "t"
    }

    /// The fleet's policy (the settings table).
    public func policy() throws(EnrollmentStoreError) -> VerificationPolicy {
        let row = try single(connection.run("""
            SELECT "window", throttle_after, throttle_delay, throttle_max, lock_after, hotp_window FROM swift2fa.settings
            """, []), columns: 6)
        let values = row.compactMap { $0.flatMap { Int($0) } }
        guard values.count == 6 else { throw EnrollmentStoreError(.databaseError, "swift2fa.settings is unreadable") }
        return VerificationPolicy(window: values[0], hotpWindow: values[5], throttle: ThrottlePolicy(
            throttleAfter: values[1], baseDelay: values[2], maxDelay: values[3], lockAfter: values[4]))
    }

    /// Sets one policy value: window, hotp_window, throttle_after, throttle_delay, throttle_max,
    /// lock_after, pending_lifetime or backup_cost.
    public func setSetting(_ name: String, to value: Int) throws(EnrollmentStoreError) {
        _ = try connection.run("SELECT swift2fa.set_setting($1, $2::integer)", [name, String(value)])
    }

    /// Gives an existing role the server rights (and nothing more), with enrollment at login
    /// exactly when `enroll` and the self-service socket's functions exactly when
    /// `selfService`. The database refuses PUBLIC and the admin role's members
    /// (`.invalidArgument`).
    public func grantServer(role: String, enroll: Bool, selfService: Bool) throws(EnrollmentStoreError) {
        _ = try connection.run("SELECT swift2fa.grant_server($1, $2::boolean, $3::boolean)",
                               [role, enroll ? "true" : "false", selfService ? "true" : "false"])
    }

    /// A role with the server rights.
    public struct ServerRole: Equatable, Sendable {
        public let role: String
        /// True when it may also enroll users at login (begin_pending, confirm_pending).
        public let enroll: Bool
        /// True when it may also serve the self-service socket (the self_* functions).
        public let selfService: Bool
    }

    /// The roles with the server rights, by name (admin role only).
    public func serverRoles() throws(EnrollmentStoreError) -> [ServerRole] {
        let rows = try connection.run("SELECT role, enroll, self_service FROM swift2fa.server_roles()", [])
        var roles: [ServerRole] = []
        for row in rows {
            guard row.count == 3, let role = row[0], let enroll = row[1], let selfService = row[2] else {
                throw EnrollmentStoreError(.databaseError, "swift2fa.server_roles returned an unknown answer")
            }
            roles.append(ServerRole(role: role, enroll: enroll == "t", selfService: selfService == "t"))
        }
        return roles
    }

    /// Takes the server rights back.
    public func revokeServer(role: String) throws(EnrollmentStoreError) {
        _ = try connection.run("SELECT swift2fa.revoke_server($1)", [role])
    }

    /// What `db status` shows about the database.
    public struct DatabaseInfo: Equatable, Sendable {
        /// Nil when the schema is not installed.
        public let schemaVersion: Int?
        /// The database's clock, Unix time in milliseconds.
        public let clockMilliseconds: Int64
        /// True on a standby.
        public let inRecovery: Bool
        public let serverVersion: String
        /// The role the connection runs as.
        public let role: String
        /// True when that role administers the schema.
        public let isAdmin: Bool
        /// True when every role may connect to the database (PUBLIC has CONNECT), and so read
        /// its tables' row counts in pg_stat_user_tables.
        public let publicCanConnect: Bool
    }

    public func databaseInfo() throws(EnrollmentStoreError) -> DatabaseInfo {
        let row = try single(connection.run("""
            SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint, pg_is_in_recovery(),
                   current_setting('server_version'), session_user,
                   coalesce((SELECT pg_has_role(session_user, nspowner, 'MEMBER') FROM pg_namespace
                             WHERE nspname = 'swift2fa'), false),
                   (SELECT bool_or(a.grantee = 0 AND a.privilege_type = 'CONNECT')
                      FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
                     WHERE d.datname = current_database())
            """, []), columns: 6)
        guard let clock = row[0].flatMap({ Int64($0) }), let version = row[2], let role = row[3] else {
            throw EnrollmentStoreError(.databaseError, "the database's status is unreadable")
        }
        // A missing schema, or a role that may not read it, has no version to show.
        var schemaVersion: Int?
        do {
            schemaVersion = try single(connection.run("SELECT version FROM swift2fa.schema_version", []), columns: 1)[0].flatMap { Int($0) }
        } catch where error.kind != .databaseUnavailable {
            schemaVersion = nil
        }
        return DatabaseInfo(schemaVersion: schemaVersion, clockMilliseconds: clock, inRecovery: row[1] == "t",
                            serverVersion: version, role: role, isAdmin: row[4] == "t", publicCanConnect: row[5] != "f")
    }

    // MARK: Helpers

    func single(_ rows: [[String?]], columns: Int) throws(EnrollmentStoreError) -> [String?] {
        guard rows.count == 1, let row = rows.first, row.count == columns else {
            throw EnrollmentStoreError(.databaseError, "the database returned \(rows.count) rows where 1 was expected")
        }
        return row
    }

    /// A Unix time a function returned.
    private static func time(_ text: String?, of function: String) throws(EnrollmentStoreError) -> Int64 {
        guard let time = text.flatMap({ Int64($0) }) else {
            throw EnrollmentStoreError(.databaseError, "swift2fa.\(function) returned no time")
        }
        return time
    }

    /// A bytea value in PostgreSQL's hex input form.
    static func byteaText(_ bytes: [UInt8]) -> String { "\\x" + Hex.encode(bytes) }

    /// A text[] literal: every element quoted, quotes and backslashes escaped.
    static func arrayText(_ values: [String]) -> String {
        let quoted = values.map { value -> String in
            var out = "\""
            for character in value {
                if character == "\"" || character == "\\" { out.append("\\") }
                out.append(character)
            }
            return out + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }
}

extension FleetStore: Sendable where Connection: Sendable {}
