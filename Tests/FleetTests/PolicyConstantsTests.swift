import Foundation
import Testing
@testable import TwoFactorCore
import TwoFactorStore

/// Every constant the fleet's SQL and the Swift core both hold, read from each side and
/// compared (issue 18, item 2): the policy defaults (the settings table's column defaults) and
/// ranges (its CHECK constraints, probed at both ends), the pending lifetime, the enrollment
/// parameters (`check_parameters` and the tables' CHECKs), user names, backup codes (count,
/// normalized form), the window's cap in `totp_match` and the back-off's doubling.
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
                SELECT "window", throttle_after, throttle_delay, throttle_max, lock_after, pending_lifetime
                  FROM swift2fa.settings;
                """).first).map { Int($0) }
            let standard = VerificationPolicy.standard
            #expect(row == [Int?]([standard.window, standard.throttle.throttleAfter, standard.throttle.baseDelay,
                            standard.throttle.maxDelay, standard.throttle.lockAfter, Int(NewEnrollment.pendingLifetime)]))

            // Ranges: each bound accepted, one past it refused (set_setting, i.e. the CHECKs).
            let ranges: [(String, ClosedRange<Int>)] = [
                ("window", VerificationPolicy.windowRange),
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

            // Enrollment parameters: the function that checks them and both tables' CHECKs.
            let secret = "'\\x" + String(repeating: "ab", count: 20) + "'::bytea"
            func parameters(_ secret: String, _ algorithm: String, _ digits: Int, _ period: Int) -> [String] {
                ["SELECT swift2fa.check_parameters(\(secret), '\(algorithm)', \(digits), \(period))"]
                    + ["enrollment", "pending"].map { table in
                        "INSERT INTO swift2fa.\(table) (user_name, secret, algorithm, digits, period, created"
                            + (table == "pending" ? ", pending_until) " : ") ")
                            + "VALUES ('constants', \(secret), '\(algorithm)', \(digits), \(period), 0"
                            + (table == "pending" ? ", 0)" : ")")
                    }
            }
            for digits in 4...10 {
                // The fleet holds what the Swift parameters allow, within the fleet's own digits.
                let swift = OTPParameters(algorithm: .sha1, digits: digits, period: 30).isValid
                    && FleetCredentialLimits.allowedDigits.contains(digits)
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

            // The window's cap: a code 10 steps away matches with window 12, one 11 steps away does not.
            let record = SecretRecord(secret: Array(repeating: 0xab, count: 20), parameters: .standard, created: 0)
            let totp = try #require(TOTP(secret: record.secret, parameters: record.parameters))
            let now: Int64 = 1_764_456_015
            let current = try #require(totp.step(at: now))
            var wide = VerificationPolicy(window: 12, throttle: .standard)
            wide.dummyHashIterations = 1
            for offset: UInt64 in [10, 11] {
                let code = try #require(totp.code(forStep: current + offset))
                let kind = try sql.value("SELECT kind FROM swift2fa.totp_match(\(secret), 'SHA1', 6, 30, 0, 12, '\(code)', \(now));")
                let swift = wide.verify(answer: code, record: record, state: UserState(), now: now).outcome
                #expect((kind == "accepted") == swift.isAccepted, "offset \(offset): SQL \(kind), Swift \(swift)")
                #expect(swift.isAccepted == (offset <= UInt64(VerificationPolicy.windowRange.upperBound)))
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
