import Foundation
import TestSupport
import Testing
import TwoFactorCore
import TwoFactorStore

/// FleetStore against a real PostgreSQL (one throwaway server per test).
@Suite(.serialized, .requiresPostgreSQL)
struct FleetStoreTests {
    static let parameters = OTPParameters.standard

    static func newSecret() throws -> [UInt8] { try #require(SecureRandom.bytes(20)) }

    @Test("the administration interface: the same life of an enrollment, the same credential changes and imports as the file and in-memory stores")
    func administrationContract() throws {
        try FleetServer.with { server in
            let admin = try server.store("twofa_admin")
            let store = FleetEnrollmentStore(connect: { () throws(EnrollmentStoreError) in admin })
            try AdministrationContract.run(store, user: "alice", now: AuthenticatorApp.now)
            try AdministrationContract.enrollAtLogin(store, user: "alice", now: AuthenticatorApp.now)
            try AdministrationContract.grace(store, user: "alice", now: AuthenticatorApp.now)
            try CredentialContract.run(store, user: "bob", now: AuthenticatorApp.now)
            try AdministrationContract.importSeveral(store, user: "carol", now: AuthenticatorApp.now)
        }
    }

    /// What the contract cannot show: two servers' roles sharing one state, answers typed
    /// with spaces or in capitals, and the admin functions closed to a server role.
    @Test func serverRolesShareOneState() throws {
        try FleetServer.with { server in
            let admin = try server.store("twofa_admin")
            let serverA = try server.store("server_a")
            let serverB = try server.store("server_b")
            let secret = try Self.newSecret()
            let codes = try #require(BackupCodes.generate(count: 3, secret: secret)).codes
            try admin.enroll(user: "alice", secret: secret, parameters: Self.parameters, lastStep: 0,
                             backupCodes: codes, replace: false)
            #expect(throws: EnrollmentStoreError.self) {
                try admin.enroll(user: "alice", secret: secret, parameters: Self.parameters, lastStep: 0,
                                 backupCodes: [], replace: false)
            }
            #expect(try serverA.promptDigits(user: "alice") == 6)
            #expect(try serverA.promptDigits(user: "nobody") == nil)

            let code = AuthenticatorApp.code(secret)
            let first = try serverA.verify(user: "alice", answer: code, service: "sshd", rhost: "192.0.2.1")
            #expect(first.outcome == .acceptedTOTP)
            let again = try serverB.verify(user: "alice", answer: " \(code)\n", service: "sshd", rhost: nil)
            #expect(again.outcome == .replayed && again.failures == 1)
            let backup = try serverB.verify(user: "alice", answer: codes[0].uppercased(), service: "su", rhost: nil)
            #expect(backup.outcome == .acceptedBackup && backup.failures == 0)
            #expect(try serverA.verify(user: "alice", answer: codes[0], service: "su", rhost: nil).outcome == .rejected)
            #expect(try serverA.verify(user: "bob", answer: code, service: "sshd", rhost: nil).outcome == .notEnrolled)

            // Status, unlock, new backup codes and reset as the admin: AdministrationContract
            // (administrationContract above). The server role may not use admin functions.
            #expect { try serverA.reset(user: "alice") } throws: { ($0 as? EnrollmentStoreError)?.kind == .notAllowed }
            #expect { try serverA.status(user: "alice") } throws: { ($0 as? EnrollmentStoreError)?.kind == .notAllowed }
            #expect(try admin.reset(user: "alice"))
            #expect(try admin.reset(user: "alice") == false)
            #expect(try admin.status(user: "alice").status == "not enrolled")
        }
    }

    @Test func pendingEnrollmentAndImport() throws {
        try FleetServer.with { server in
            let admin = try server.store("twofa_admin")
            let serverA = try server.store("server_a")
            let secret = try Self.newSecret()
            let until = try serverA.beginPending(user: "carol", secret: secret, parameters: Self.parameters)
            #expect(until > AuthenticatorApp.now())
            #expect(try admin.status(user: "carol").status == "pending")
            #expect(try serverA.verify(user: "carol", answer: AuthenticatorApp.code(secret), service: "sshd", rhost: nil).outcome
                    == .notEnrolled)
            let codes = try #require(BackupCodes.generate(secret: secret)).codes
            #expect(try serverA.confirmPending(user: "carol", code: "000000x", backupCodes: codes, replace: false) == .rejected)
            #expect(try serverA.confirmPending(user: "carol", code: AuthenticatorApp.code(secret), backupCodes: codes, replace: false)
                    == .accepted)
            // The confirming code is used up; the enrollment cannot be replaced by a server.
            #expect(try serverA.verify(user: "carol", answer: AuthenticatorApp.code(secret), service: "sshd", rhost: nil).outcome
                    == .replayed)
            #expect { try serverA.beginPending(user: "carol", secret: secret, parameters: Self.parameters) }
                throws: { ($0 as? EnrollmentStoreError)?.kind == .alreadyEnrolled }
            #expect(try serverA.confirmPending(user: "dan", code: "123456", backupCodes: [], replace: false) == .notPending)

            // server_b has no enrollment right; no server replaces a pending enrollment the admin started.
            let serverB = try server.store("server_b")
            #expect { try serverB.beginPending(user: "dan", secret: secret, parameters: Self.parameters) }
                throws: { ($0 as? EnrollmentStoreError)?.kind == .notAllowed }
            _ = try admin.beginPending(user: "dan", secret: secret, parameters: Self.parameters)
            #expect { try serverA.beginPending(user: "dan", secret: try Self.newSecret(), parameters: Self.parameters) }
                throws: { ($0 as? EnrollmentStoreError)?.kind == .adminPending }
            #expect(try serverA.confirmPending(user: "dan", code: AuthenticatorApp.code(secret), backupCodes: [], replace: false)
                    == .accepted, "the admin's secret is still the pending one")

            // Import keeps the replay and throttle state.
            let record = SecretRecord(secret: try Self.newSecret(), parameters: OTPParameters(algorithm: .sha256, digits: 8, period: 30),
                                      created: AuthenticatorApp.now() - 100)
            let step = UInt64(AuthenticatorApp.now() / 30)
            let state = UserState(lastStep: step, failures: 2, throttledUntil: 0, locked: false, usedBackupSalts: [],
                                  enrollment: record.fingerprint)
            try admin.importEnrollment(user: "erin", record: record, state: state, backupCodes: [], mode: .new)
            let status = try admin.status(user: "erin")
            #expect(status.failures == 2 && status.parameters?.algorithm == .sha256 && status.parameters?.digits == 8)
            let current = AuthenticatorApp.code(record.secret, record.parameters)
            #expect(try serverA.verify(user: "erin", answer: current, service: "sshd", rhost: nil).outcome == .replayed)
        }
    }

    @Test func thirtyParallelLoginsOneSuccess() throws {
        try FleetServer.with { server in
            let admin = try server.store("twofa_admin")
            let stores = [try server.store("server_a"), try server.store("server_b")]
            let secret = try Self.newSecret()
            try admin.enroll(user: "frank", secret: secret, parameters: Self.parameters, lastStep: 0, backupCodes: [],
                             replace: false)
            let code = AuthenticatorApp.code(secret)
            let outcomes = Outcomes()
            DispatchQueue.concurrentPerform(iterations: 30) { index in
                let word: String
                do {
                    word = try stores[index % 2].verify(user: "frank", answer: code, service: "sshd", rhost: nil).outcome.rawValue
                } catch {
                    word = "error: \(error)"
                }
                outcomes.append(word)
            }
            let all = outcomes.all
            #expect(all.filter { $0 == "accepted-totp" }.count == 1, "\(all)")
            #expect(all.filter { $0 == "replayed" || $0 == "throttled" }.count == 29, "\(all)")
        }
    }

    @Test("a synchronous standby never answers prompt_digits: database-unavailable, not 'not enrolled'")
    func standbyFailsClosed() throws {
        try FleetServer.with { server in
            let admin = try server.store("twofa_admin")
            try admin.enroll(user: "alice", secret: try Self.newSecret(), parameters: Self.parameters, lastStep: 0,
                             backupCodes: [], replace: false)
            let started = try server.pg(["standby", server.directory])
            try #require(started.status == 0, "\(started.output)")
            let conninfo = try server.pg(["conninfo", server.directory, "server_a", "standby"]).output
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let standby = FleetStore(conninfo: conninfo, timeout: 3)
            for user in ["nobody", "alice"] {
                #expect { try standby.promptDigits(user: user) } throws: { ($0 as? EnrollmentStoreError)?.kind == .databaseUnavailable }
            }
            #expect { try standby.verify(user: "nobody", answer: "123456", service: "sshd", rhost: nil) }
                throws: { ($0 as? EnrollmentStoreError)?.kind == .databaseUnavailable }
            let primary = try server.store("server_a")
            #expect(try primary.promptDigits(user: "nobody") == nil)
            #expect(try primary.promptDigits(user: "alice") == 6)
        }
    }

    @Test func outageFailsClosedWithinTheTimeout() throws {
        try FleetServer.with { server in
            let serverA = try server.store("server_a", timeout: 2)
            #expect(try serverA.verify(user: "nobody", answer: "123456", service: "sshd", rhost: nil).outcome == .notEnrolled)
            try server.halt()
            let start = Date()
            #expect { try serverA.verify(user: "nobody", answer: "123456", service: "sshd", rhost: nil) }
                throws: { ($0 as? EnrollmentStoreError)?.kind == .databaseUnavailable }
            #expect { try serverA.promptDigits(user: "nobody") }
                throws: { ($0 as? EnrollmentStoreError)?.kind == .databaseUnavailable }
            #expect(Date().timeIntervalSince(start) < 2.5)
        }
    }
}

/// The outcome words of parallel calls, collected under a lock.
final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var words: [String] = []

    func append(_ word: String) { lock.lock(); words.append(word); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return words }
}
