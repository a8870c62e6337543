import Foundation
import Testing
@testable import TwoFactorCore
import TwoFactorStore

/// Every constant the fleet's SQL and the Swift core both hold, read from each side and
/// compared (issue 18, item 2): the policy defaults (the settings table's column defaults) and
/// ranges (its CHECK constraints, probed at both ends), the pending lifetime, the enrollment
/// parameters (`check_parameters` and the tables' CHECKs), user names, backup codes (count,
/// normalized form), credential labels and HOTP counters, the windows' caps in `code_match` and
/// the back-off's doubling.
///
/// Not compared, because only one side holds them: the database timeout (3 s, FleetSettings:
/// the SQL sets no statement timeout), the number of backup codes enrollment creates (10, made by
/// the command), and the hash costs (PBKDF2 iterations in Swift, bcrypt cost in SQL).
@Suite(.serialized, .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/psql"),
                             "needs root and PostgreSQL (Tests/fleet/pg.sh)"))
struct PolicyConstantsTests {
    /// True when the SQL statement `sql` succeeds; its effects are rolled back either way.
    static func accepts(_ sql: SQLPolicy, _ statement: String) throws -> Bool {
        let quoted = statement.replacingOccurrences(of: "'", with: "''")
        return try sql.value("SELECT pg_temp.accepts('\(quoted)');") == "t"
    }

    /// The least and greatest integer `statement(value)` accepts, searched around `guess`'s ends.
    static func range(_ sql: SQLPolicy, around guess: ClosedRange<Int>, _ statement: (Int) -> String) throws -> [Bool] {
        try [guess.lowerBound - 1, guess.lowerBound, guess.upperBound, guess.upperBound + 1].map {
            try accepts(sql, statement($0))
        }
    }

    @Test("the SQL's policy defaults and ranges, pending lifetime, parameters and backup-code rules are the Swift ones")
    func constants() throws {
        try SQLPolicy.with(cheapHashes: false) { sql in
            _ = try sql.session.run("""
                CREATE FUNCTION pg_temp.accepts(statement text) RETURNS boolean LANGUAGE plpgsql AS $$
                BEGIN
                    EXECUTE statement;
                    RAISE EXCEPTION USING ERRCODE = 'P0099';
                EXCEPTION
                    WHEN SQLSTATE 'P0099' THEN RETURN true;
                    WHEN OTHERS THEN RETURN false;
                END
                $$;
                """)
            // Defaults: the one settings row as the schema inserted it.
            let row = try #require(try sql.session.run("""
                SELECT "window", throttle_after, throttle_delay, throttle_max, lock_after, pending_lifetime, hotp_window
                  FROM swift2fa.settings;
                """).first).map { Int($0) }
            let standard = VerificationPolicy.standard
            #expect(row == [Int?]([standard.window, standard.throttle.throttleAfter, standard.throttle.baseDelay,
                            standard.throttle.maxDelay, standard.throttle.lockAfter, Int(NewEnrollment.pendingLifetime),
                            standard.hotpWindow]))

            // Ranges: each bound accepted, one past it refused (set_setting, i.e. the CHECKs).
            let ranges: [(String, ClosedRange<Int>)] = [
                ("window", VerificationPolicy.windowRange),
                ("hotp_window", VerificationPolicy.hotpWindowRange),
                ("throttle_after", ThrottlePolicy.throttleAfterRange),
                ("throttle_delay", ThrottlePolicy.baseDelayRange),
                ("throttle_max", ThrottlePolicy.maxDelayRange),
                ("lock_after", ThrottlePolicy.lockAfterRange),
            ]
            for (name, swift) in ranges {
                #expect(try Self.range(sql, around: swift) { "SELECT swift2fa.set_setting('\(name)', \($0))" }
                        == [false, true, true, false], "\(name): Swift \(swift)")
            }
            // The pending lifetime has no Swift range, but its default lies within the SQL's.
            #expect(try Self.accepts(sql, "SELECT swift2fa.set_setting('pending_lifetime', \(NewEnrollment.pendingLifetime))"))

            // Enrollment parameters: the function that checks them and the credential and pending
            // tables' CHECKs (a credential needs its user's enrollment row, made in the same statement).
            let secret = "'\\x" + String(repeating: "ab", count: 20) + "'::bytea"
            func parameters(_ secret: String, _ algorithm: String, _ digits: Int, _ period: Int) -> [String] {
                ["SELECT swift2fa.check_parameters(\(secret), '\(algorithm)', \(digits), \(period))"]
                    + ["INSERT INTO swift2fa.enrollment (user_name, backup_key, created) VALUES ('constants', \(secret), 0); "
                        + "INSERT INTO swift2fa.credential (user_name, id, label, kind, secret, algorithm, digits, period, \"offset\", "
                        + "created) VALUES ('constants', 1, 'default', 'TOTP', \(secret), '\(algorithm)', \(digits), \(period), 0, 0)",
                       "INSERT INTO swift2fa.pending (user_name, secret, algorithm, digits, period, created, pending_until) "
                        + "VALUES ('constants', \(secret), '\(algorithm)', \(digits), \(period), 0, 0)"]
            }
            for digits in 4...10 {
                // The fleet holds what the Swift parameters allow.
                let swift = OTPParameters(algorithm: .sha1, digits: digits, period: 30).isValid
                for statement in parameters(secret, "SHA1", digits, 30) {
                    #expect(try Self.accepts(sql, statement) == swift, "digits \(digits): \(statement)")
                }
            }
            let periods = OTPParameters.allowedPeriods
            for period in [periods.lowerBound - 1, periods.lowerBound, periods.upperBound, periods.upperBound + 1] {
                let swift = OTPParameters(algorithm: .sha1, digits: 6, period: period).isValid
                for statement in parameters(secret, "SHA1", 6, period) {
                    #expect(try Self.accepts(sql, statement) == swift, "period \(period): \(statement)")
                }
            }
            let lengths = Credential.allowedSecretLengths
            for length in [lengths.lowerBound - 1, lengths.lowerBound, lengths.upperBound, lengths.upperBound + 1] {
                let bytes = "'\\x" + String(repeating: "ab", count: length) + "'::bytea"
                for statement in parameters(bytes, "SHA1", 6, 30) {
                    #expect(try Self.accepts(sql, statement) == lengths.contains(length), "secret of \(length) bytes")
                }
            }
            for name in HashAlgorithm.allCases.map(\.rawValue) + ["MD5", "sha1", "SHA384"] {
                let swift = HashAlgorithm(rawValue: name) != nil
                for statement in parameters(secret, name, 6, 30) {
                    #expect(try Self.accepts(sql, statement) == swift, "algorithm \(name): \(statement)")
                }
            }

            // User names: 1 to UserName.maximumLength bytes.
            for length in [0, 1, UserName.maximumLength, UserName.maximumLength + 1] {
                let name = String(repeating: "u", count: length)
                #expect(try Self.accepts(sql, "INSERT INTO swift2fa.pending (user_name, secret, algorithm, digits, period, created, pending_until) "
                                              + "VALUES ('\(name)', \(secret), 'SHA1', 6, 30, 0, 0)")
                        == (length >= 1 && length <= UserName.maximumLength), "user name of \(length) bytes")
            }

            // Backup codes: at most SecretRecord.maximumBackupCodes per enrollment.
            _ = try sql.session.run("SELECT swift2fa.set_setting('backup_cost', 4);")
            for count in [SecretRecord.maximumBackupCodes, SecretRecord.maximumBackupCodes + 1] {
                let codes = (0..<count).map { "'\(String(format: "%08d", $0 * 7919))'" }.joined(separator: ", ")
                #expect(try Self.accepts(sql, "SELECT swift2fa.admin_enroll('constants', \(secret), 'SHA1', 6, 30, 0, "
                                              + "ARRAY[\(codes)]::text[], true)")
                        == (count <= SecretRecord.maximumBackupCodes), "\(count) backup codes")
            }
            // The normalized form: the same answers become the same code, or none.
            let typed = ["abcdefg", "abcdefgh", "ABCDE-FGHJK", " ab cd\tef-gh ", "abcdefghjkmnpqrs", "abcdefghjkmnpqrst",
                         "1234567", "12345678", "abcdé-fghjk", "abcde_fghjk", "abcd\nefghjk", "ａbcdefghjk", "--a-b-c-d-e-f-g-h--"]
            for text in typed {
                let sqlForm = try sql.session.run("SELECT swift2fa.backup_normalized(\(PsqlSession.literal(text)));")
                #expect(sqlForm == [[BackupCodes.normalize(text) ?? ""]], "\(text.debugDescription)")
            }

            // Labels, clock offsets and HOTP counters: what Credential.isValid and the fleet's counter bound allow.
            func credential(label: String, offset: Int, counter: UInt64?) -> String {
                "INSERT INTO swift2fa.enrollment (user_name, backup_key, created) VALUES ('constants', \(secret), 0); "
                    + "INSERT INTO swift2fa.credential (user_name, id, label, kind, secret, algorithm, digits, period, \"offset\", "
                    + "counter, created) VALUES ('constants', 1, \(PsqlSession.literal(label)), "
                    + (counter.map { "'HOTP', \(secret), 'SHA1', 6, NULL, NULL, \($0)" } ?? "'TOTP', \(secret), 'SHA1', 6, 30, \(offset), NULL")
                    + ", 0)"
            }
            for label in ["phone", "yubikey-5", "a.b_c", "", "-phone", "phone!", "a b", String(repeating: "x", count: 32),
                          String(repeating: "x", count: 33), "é"] {
                #expect(try Self.accepts(sql, credential(label: label, offset: 0, counter: nil)) == Credential.isValidLabel(label),
                        "label \(label.debugDescription)")
            }
            let offsets = Credential.offsetRange
            for offset in [offsets.lowerBound - 1, offsets.lowerBound, offsets.upperBound, offsets.upperBound + 1] {
                #expect(try Self.accepts(sql, credential(label: "token", offset: offset, counter: nil)) == offsets.contains(offset),
                        "offset \(offset)")
            }
            for counter in [0, FleetCredentialLimits.maximumCounter, FleetCredentialLimits.maximumCounter + 1] {
                #expect(try Self.accepts(sql, credential(label: "token", offset: 0, counter: counter))
                        == (counter <= FleetCredentialLimits.maximumCounter), "counter \(counter)")
            }
            #expect(try Self.accepts(sql, "INSERT INTO swift2fa.enrollment (user_name, backup_key, created) VALUES ('constants', \(secret), 0); "
                                          + "INSERT INTO swift2fa.credential (user_name, id, label, kind, secret, algorithm, digits, "
                                          + "period, \"offset\", created) SELECT 'constants', n, 'c' || n, 'TOTP', \(secret), 'SHA1', 6, 30, 0, 0 "
                                          + "FROM generate_series(1, \(Credential.maximumCount)) n"))
            #expect(!(try Self.accepts(sql, "INSERT INTO swift2fa.enrollment (user_name, backup_key, created) VALUES ('constants', \(secret), 0); "
                                            + "INSERT INTO swift2fa.credential (user_name, id, label, kind, secret, algorithm, digits, "
                                            + "period, \"offset\", created) SELECT 'constants', n, 'c' || n, 'TOTP', \(secret), 'SHA1', 6, 30, 0, 0 "
                                            + "FROM generate_series(1, \(Credential.maximumCount + 1)) n")), "more than \(Credential.maximumCount) credentials")

            // The windows' caps: a code 10 steps away matches with window 12, one 11 steps away does
            // not; a HOTP code 40 counters ahead matches with look-ahead 50, one 41 ahead does not.
            let record = SecretRecord(secret: Array(repeating: 0xab, count: 20), parameters: .standard, created: 0)
            let totp = try #require(TOTP(secret: record.secret, parameters: record.parameters))
            let now: Int64 = 1_764_456_015
            let current = try #require(totp.step(at: now))
            var wide = VerificationPolicy(window: 12, hotpWindow: 50, throttle: .standard)
            wide.dummyHashIterations = 1
            func match(_ kind: String, _ code: String) throws -> String {
                let row = kind == "TOTP" ? "'TOTP', \(secret), 'SHA1', 6, 30, 0, NULL" : "'HOTP', \(secret), 'SHA1', 6, NULL, NULL, 0"
                return try sql.value("SELECT kind FROM swift2fa.code_match(ARRAY[ROW('constants', 1, 'default', \(row), 0, NULL, NULL)"
                                     + "::swift2fa.credential], '\(code)', 12, 50, \(now));")
            }
            for offset: UInt64 in [10, 11] {
                let code = try #require(totp.code(forStep: current + offset))
                let kind = try match("TOTP", code)
                let swift = wide.verify(answer: code, record: record, state: UserState(), now: now).outcome
                #expect((kind == "accepted") == swift.isAccepted, "offset \(offset): SQL \(kind), Swift \(swift)")
                #expect(swift.isAccepted == (offset <= UInt64(VerificationPolicy.windowRange.upperBound)))
            }
            var hotp = record
            hotp.credentials[0].kind = .hotp(counter: 0)
            for counter: UInt64 in [40, 41] {
                let code = try #require(hotp.credentials[0].code(forCounter: counter))
                let kind = try match("HOTP", code)
                let swift = wide.verify(answer: code, record: hotp, state: UserState(), now: now).outcome
                #expect((kind == "accepted") == swift.isAccepted, "counter \(counter): SQL \(kind), Swift \(swift)")
                #expect(swift.isAccepted == (counter <= UInt64(VerificationPolicy.hotpWindowRange.upperBound)))
            }

            // The back-off: the same doubling and cap, overflow included.
            for (after, base, cap) in [(3, 30, 900), (1, 86_400, 86_400), (5, 1, 86_400), (100, 7, 50)] {
                let throttle = ThrottlePolicy(throttleAfter: after, baseDelay: base, maxDelay: cap, lockAfter: 100)
                let failures = [0, 1, after - 1, after, after + 1, after + 10, after + 29, after + 30, after + 31, 1_000_000]
                let delays = try sql.session.run("""
                    UPDATE swift2fa.settings SET throttle_after = \(after), throttle_delay = \(base), throttle_max = \(cap);
                    SELECT swift2fa.throttle_seconds(t.f, s) FROM swift2fa.settings s,
                           unnest(ARRAY[\(failures.map(String.init).joined(separator: ","))]) WITH ORDINALITY AS t(f, n)
                     ORDER BY t.n;
                    """).map { Int($0[0]) }
                #expect(delays == failures.map { Optional(throttle.delay(afterFailures: $0)) }, "throttle \(after), \(base), \(cap)")
            }
        }
    }
}
