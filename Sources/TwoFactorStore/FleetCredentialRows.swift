import TwoFactorCore

/// Credentials as the fleet schema's functions take and give them: a JSON array for
/// `swift2fa.insert_credentials` (the secret in hex, sent once and never read back), and the
/// rows of `swift2fa.credentials` for `status` and `credentials list`.
enum FleetCredentialRows {
    /// The JSON array of `credentials`, each with the last step or counter `used` records of it
    /// (by fingerprint). Refuses a HOTP counter beyond `FleetCredentialLimits.maximumCounter`.
    static func json(_ credentials: [Credential], used: [CredentialState]) throws(EnrollmentStoreError) -> String {
        var objects: [String] = []
        for credential in credentials {
            let fingerprint = credential.fingerprint
            let last = used.first { $0.fingerprint == fingerprint }?.lastCounter
            var fields = ["\"id\":\(credential.id)", "\"label\":\(HookEvent.quoted(credential.label))",
                          "\"kind\":\"\(credential.kindName)\"", "\"secret\":\"\(Hex.encode(credential.secret))\"",
                          "\"algorithm\":\"\(credential.algorithm.rawValue)\"", "\"digits\":\(credential.digits)",
                          "\"created\":\(credential.created)"]
            switch credential.kind {
            case .totp(let period, let offset): fields += ["\"period\":\(period)", "\"offset\":\(offset)"]
            case .hotp: fields.append("\"counter\":\(try counter(of: credential) ?? "0")")
            }
            if let last { fields.append("\"last_counter\":\(try bounded(last, of: credential))") }
            objects.append("{" + fields.joined(separator: ",") + "}")
        }
        return "[" + objects.joined(separator: ",") + "]"
    }

    /// A HOTP credential's counter as text; nil for TOTP.
    static func counter(of credential: Credential) throws(EnrollmentStoreError) -> String? {
        guard case .hotp(let counter) = credential.kind else { return nil }
        return try bounded(counter, of: credential)
    }

    private static func bounded(_ counter: UInt64, of credential: Credential) throws(EnrollmentStoreError) -> String {
        guard counter <= FleetCredentialLimits.maximumCounter else {
            throw EnrollmentStoreError(.invalidArgument, "credential '\(credential.label)': the fleet database holds counters "
                                       + "up to \(FleetCredentialLimits.maximumCounter)")
        }
        return String(counter)
    }

    /// One row of `swift2fa.credentials`: id, label, kind, algorithm, digits, period, offset,
    /// next_counter, created, last_used.
    static func status(_ row: [String?]) throws(EnrollmentStoreError) -> CredentialStatus {
        guard row.count == 10, let id = row[0].flatMap({ Int($0) }), let label = row[1], let kind = row[2],
              let algorithm = row[3].flatMap({ HashAlgorithm(rawValue: $0) }), let digits = row[4].flatMap({ Int($0) }),
              let created = row[8].flatMap({ Int64($0) }) else {
            throw EnrollmentStoreError(.databaseError, "swift2fa.credentials returned an unknown row")
        }
        return CredentialStatus(id: id, label: label, kind: kind, algorithm: algorithm, digits: digits,
                                period: row[5].flatMap { Int($0) }, offset: row[6].flatMap { Int($0) },
                                nextCounter: row[7].flatMap { UInt64($0) }, created: created,
                                lastUsed: row[9].flatMap { Int64($0) })
    }
}

extension FleetStore {
    /// The user's credentials, in id order (never their secrets).
    public func credentials(user: String) throws(EnrollmentStoreError) -> [CredentialStatus] {
        var result: [CredentialStatus] = []
        let (function, arguments) = call("credentials", [""], [user])
        for row in try connection.run("""
            SELECT id, label, kind, algorithm, digits, period, "offset", next_counter, created, last_used FROM \(function)
            """, arguments) {
            result.append(try FleetCredentialRows.status(row))
        }
        return result
    }

    /// Adds `credential` (its id is chosen by the database) to the user's enrollment, its code at
    /// `counter` checked by the caller and now used. Returns the new id.
    public func addCredential(user: String, credential: Credential, counter: UInt64) throws(EnrollmentStoreError) -> Int {
        let used = [CredentialState(fingerprint: credential.fingerprint, lastCounter: counter)]
        var object = try FleetCredentialRows.json([credential], used: used)
        object.removeFirst()
        object.removeLast()
        let row = try single(connection.run("SELECT swift2fa.add_credential($1, $2::jsonb, $3::bigint)",
                                            [user, object, String(Int64(clamping: counter))]), columns: 1)
        guard let id = row[0].flatMap({ Int($0) }) else {
            throw EnrollmentStoreError(.databaseError, "swift2fa.add_credential returned no id")
        }
        return id
    }

    /// Removes the credential `name` (an id or a label), never the last one. Returns its id and label.
    public func removeCredential(user: String, name: String) throws(EnrollmentStoreError) -> (id: Int, label: String) {
        let (function, arguments) = call("remove_credential", ["", ""], [user, name])
        let row = try single(connection.run("SELECT id, label FROM " + function, arguments), columns: 2)
        guard let id = row[0].flatMap({ Int($0) }), let label = row[1] else {
            throw EnrollmentStoreError(.databaseError, "swift2fa.remove_credential returned an unknown answer")
        }
        return (id, label)
    }

    /// Labels the credential `name` (an id or a label) `label`. Returns its id.
    public func renameCredential(user: String, name: String, label: String) throws(EnrollmentStoreError) -> Int {
        let (function, arguments) = call("rename_credential", ["", "", ""], [user, name, label])
        let row = try single(connection.run("SELECT " + function, arguments), columns: 1)
        guard let id = row[0].flatMap({ Int($0) }) else {
            throw EnrollmentStoreError(.databaseError, "swift2fa.rename_credential returned no id")
        }
        return id
    }

    /// Resynchronises the credential `name` from two consecutive codes (as `CredentialResync`).
    public func resyncCredential(user: String, name: String, first: String,
                                 second: String) throws(EnrollmentStoreError) -> CredentialResync.Found {
        let row = try single(connection.run("""
            SELECT kind, counter, period, "offset", last_counter, shift FROM swift2fa.resync_credential($1, $2, $3, $4)
            """, [user, name, first, second]), columns: 6)
        let kind: Credential.Kind
        if row[0] == "HOTP", let counter = row[1].flatMap({ UInt64($0) }) {
            kind = .hotp(counter: counter)
        } else if row[0] == "TOTP", let period = row[2].flatMap({ Int($0) }), let offset = row[3].flatMap({ Int($0) }) {
            kind = .totp(period: period, offset: offset)
        } else {
            throw EnrollmentStoreError(.databaseError, "swift2fa.resync_credential returned an unknown answer")
        }
        guard let last = row[4].flatMap({ UInt64($0) }), let shift = row[5].flatMap({ Int64($0) }) else {
            throw EnrollmentStoreError(.databaseError, "swift2fa.resync_credential returned an unknown answer")
        }
        return CredentialResync.Found(kind: kind, lastCounter: last, shift: shift)
    }
}
