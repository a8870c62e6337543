import Foundation
import TestSupport
import TwoFactorCore
@testable import TwoFactorStore

/// The database's policy as the differential tests drive it: one long-lived psql session as
/// the superuser on a throwaway server, with the test clock (Tests/fleet/test-clock.sql) in
/// place of the real one, acting on one user. Server calls (`verify`) run under
/// `SET ROLE server_a`, so they need exactly the rights a server has; admin calls run as the
/// superuser, which `swift2fa.is_admin` accepts.
struct SQLPolicy {
    let session: PsqlSession
    var user = "diff"

    /// The user's row, credentials and used backup codes, as stored.
    struct State: Equatable, CustomStringConvertible {
        var failures: Int
        var throttledUntil: Int64
        var backupFailures: Int
        var locked: Bool
        /// Hex tags of the used backup codes.
        var usedTags: Set<String>
        /// Each credential's id and last step or counter, in id order ("2:-" when none was used).
        var credentials: [String]
        /// The last drift finding: "credential-id steps time", or empty.
        var drift: String

        var description: String {
            "failures \(failures) throttled_until \(throttledUntil) backup_failures \(backupFailures) locked \(locked) "
                + "used \(usedTags.sorted()) credentials \(credentials) drift '\(drift)'"
        }
    }

    /// What `swift2fa.verify` answered.
    struct Answer: Equatable {
        var outcome: String
        var failures: Int
        var throttledUntil: Int64
        /// Nil when not enrolled.
        var backupCodesLeft: Int?
        var lockedNow: Bool
        /// The label of the credential whose code was accepted.
        var credential: String?
        /// The drift finding's log text.
        var drift: String?
    }

    static let testClock = URL(fileURLWithPath: FleetServer.script).deletingLastPathComponent()
        .appendingPathComponent("test-clock.sql").path

    /// Runs `body` against a fresh server with the test clock. With `cheapHashes`, new backup
    /// codes and the dummy hash use bcrypt cost 4 (the schema's minimum) instead of 8, as the
    /// core's tests lower PBKDF2 iterations: the number of hashes is unchanged, only their cost.
    static func with<Result>(cheapHashes: Bool = true, _ body: (SQLPolicy) throws -> Result) throws -> Result {
        try FleetServer.with { server in
            let clock = try server.pg(["psql", server.directory, "postgres", "-f", testClock])
            guard clock.status == 0 else { throw FixtureError(text: "test-clock.sql failed: \(clock.output)") }
            let conninfo = try server.pg(["conninfo", server.directory, "postgres"]).output
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let policy = SQLPolicy(session: try PsqlSession(conninfo: conninfo))
            if cheapHashes {
                _ = try policy.session.run("""
                    SELECT swift2fa.set_setting('backup_cost', 4);
                    UPDATE swift2fa.settings SET dummy_hash = crypt('unused', gen_salt('bf', 4));
                    """)
            }
            return try body(policy)
        }
    }

    /// Runs SQL and returns the one value of its one row.
    func value(_ sql: String) throws -> String {
        let rows = try session.run(sql)
        guard rows.count == 1, rows[0].count == 1 else { throw FixtureError(text: "not one value: \(rows) for \(sql)") }
        return rows[0][0]
    }

    func setPolicy(_ policy: VerificationPolicy) throws {
        _ = try session.run("""
            SELECT swift2fa.set_setting('window', \(policy.window));
            SELECT swift2fa.set_setting('hotp_window', \(policy.hotpWindow));
            SELECT swift2fa.set_setting('throttle_after', \(policy.throttle.throttleAfter));
            SELECT swift2fa.set_setting('throttle_delay', \(policy.throttle.baseDelay));
            SELECT swift2fa.set_setting('throttle_max', \(policy.throttle.maxDelay));
            SELECT swift2fa.set_setting('lock_after', \(policy.throttle.lockAfter));
            """)
    }

    /// `admin_import` replacing whatever the user had: `record`'s credentials with what `used`
    /// records of them, and the backup codes `codes` tagged with its backup key.
    func enroll(_ record: SecretRecord, used: [CredentialState], codes: [String], now: Int64) throws {
        let array = "ARRAY[" + codes.map(PsqlSession.literal).joined(separator: ", ") + "]::text[]"
        _ = try session.run("""
            UPDATE swift2fa_test.clock SET now_seconds = \(now);
            SELECT swift2fa.admin_import(\(PsqlSession.literal(user)), '\\x\(Hex.encode(record.backupKey))'::bytea, \(now),
                \(PsqlSession.literal(try FleetCredentialRows.json(record.credentials, used: used)))::jsonb, 0, 0, false,
                \(array), 'replace');
            """)
    }

    /// `add_credential`: `credential` added under the next id, its code at `counter` used.
    func add(_ credential: Credential, counter: UInt64) throws -> Int {
        let object = try FleetCredentialRows.json([credential], used: [])
        let rows = try session.run("""
            SELECT swift2fa.add_credential(\(PsqlSession.literal(user)), (\(PsqlSession.literal(object))::jsonb)->0, \(counter));
            """)
        guard let text = rows.first?.first, let id = Int(text) else { throw FixtureError(text: "add_credential answered \(rows)") }
        return id
    }

    /// `remove_credential` of the credential `id`.
    func remove(id: Int) throws {
        _ = try session.run("SELECT * FROM swift2fa.remove_credential(\(PsqlSession.literal(user)), '\(id)');")
    }

    /// One server call of `verify` at `now`, and the state it left.
    func verify(_ answer: String, now: Int64) throws -> (answer: Answer, state: State?) {
        // One round trip: psql sends statements joined by \; as one query (one transaction).
        let rows = try session.run("""
            UPDATE swift2fa_test.clock SET now_seconds = \(now) \\;
            SET ROLE server_a \\;
            SELECT outcome, failures, throttled_until, backup_codes_left, locked_now, credential, drift
              FROM swift2fa.verify(\(PsqlSession.literal(user)), \(PsqlSession.literal(answer)), 'differential', NULL) \\;
            RESET ROLE \\;
            \(Self.stateQuery(user))
            """)
        // psql prints NULL as nothing.
        guard rows.count == 1 || rows.count == 2, rows[0].count == 7,
              let failures = Int(rows[0][1]), let until = Int64(rows[0][2]),
              rows[0][3].isEmpty || Int(rows[0][3]) != nil, ["t", "f"].contains(rows[0][4]) else {
            throw FixtureError(text: "verify answered \(rows)")
        }
        return (Answer(outcome: rows[0][0], failures: failures, throttledUntil: until, backupCodesLeft: Int(rows[0][3]),
                       lockedNow: rows[0][4] == "t", credential: rows[0][5].isEmpty ? nil : rows[0][5],
                       drift: rows[0][6].isEmpty ? nil : rows[0][6]),
                rows.count == 2 ? try Self.parseState(rows[1]) : nil)
    }

    /// `unlock`: the failures and lock before, nil when not enrolled.
    func unlock() throws -> (failures: Int, locked: Bool)? {
        let rows = try session.run("SELECT failures, locked FROM swift2fa.unlock(\(PsqlSession.literal(user)));")
        guard let row = rows.first else { return nil }
        guard row.count == 2, let failures = Int(row[0]) else { throw FixtureError(text: "unlock answered \(rows)") }
        return (failures, row[1] == "t")
    }

    func reset() throws -> Bool {
        try value("SELECT swift2fa.reset(\(PsqlSession.literal(user)));") == "t"
    }

    func regenerateBackupCodes(_ codes: [String]) throws -> Bool {
        let array = "ARRAY[" + codes.map(PsqlSession.literal).joined(separator: ", ") + "]::text[]"
        return try value("SELECT swift2fa.regenerate_backup_codes(\(PsqlSession.literal(user)), \(array));") == "t"
    }

    private static func stateQuery(_ user: String) -> String {
        let name = PsqlSession.literal(user)
        return """
            SELECT e.failures, e.throttled_until, e.backup_failures, e.locked,
                   coalesce((SELECT string_agg(encode(b.tag, 'hex'), ',') FROM swift2fa.backup_code b
                              WHERE b.user_name = e.user_name AND b.used_at IS NOT NULL), ''),
                   (SELECT string_agg(c.id || ':' || coalesce(c.last_counter::text, '-'), ',' ORDER BY c.id)
                      FROM swift2fa.credential c WHERE c.user_name = e.user_name),
                   coalesce(e.drift_credential || ' ' || e.drift_steps || ' ' || e.drift_at, '')
              FROM swift2fa.enrollment e WHERE e.user_name = \(name);
            """
    }

    private static func parseState(_ row: [String]) throws -> State {
        guard row.count == 7, let failures = Int(row[0]), let until = Int64(row[1]), let backupFailures = Int(row[2]) else {
            throw FixtureError(text: "unexpected state row \(row)")
        }
        return State(failures: failures, throttledUntil: until, backupFailures: backupFailures, locked: row[3] == "t",
                     usedTags: Set(row[4].split(separator: ",").map(String.init)),
                     credentials: row[5].split(separator: ",").map(String.init), drift: row[6])
    }
}
