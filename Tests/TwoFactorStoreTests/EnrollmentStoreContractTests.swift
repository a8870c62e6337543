import Foundation
import Testing
import TestSupport
import TwoFactorCore
import TwoFactorStore

/// The same logins against every local `EnrollmentStore`: the file store (a private store
/// directory) and the in-memory store. Each must give the same outcomes, failures and
/// throttle ends, since the module runs one body over whichever serves it. (The fleet's
/// `verify` is held to the same policy by FleetTests' PolicyDifferentialTests.)
@Suite("One enrollment-store interface: the same answers from every store")
struct EnrollmentStoreContractTests {
    static let start: Int64 = 1_800_000_000
    static let secret = Array("12345678901234567890".utf8)
    static let backupCode = "a1b2c3d4e5"

    static func record() throws -> SecretRecord {
        let backup = try #require(BackupCodeHash.make(code: backupCode, secret: secret, iterations: 2))
        return SecretRecord(secret: secret, parameters: .standard, created: start - 100, backupCodes: [backup])
    }

    /// A store of `kind` in which alice is enrolled, with a clock the test moves.
    final class Fixture {
        let store: any EnrollmentStore
        var now: Int64 = EnrollmentStoreContractTests.start
        private let directory: TemporaryDirectory?
        private let memory: InMemoryEnrollmentStore?
        let files: Store?
        let policy: VerificationPolicy

        init(_ kind: String, policy: VerificationPolicy = .standard) throws {
            self.policy = policy
            let record = try EnrollmentStoreContractTests.record()
            if kind == "files" {
                let directory = try TemporaryDirectory("s2fa-store")
                let files = Store(directory: directory.path)
                try Store.writeSecret(record, to: files.secretPath(for: "alice"))
                self.directory = directory
                self.files = files
                memory = nil
                store = Fixture.fileStore(files, policy: policy, user: "alice", clock: { 0 })
            } else {
                let memory = InMemoryEnrollmentStore(records: ["alice": record], policy: policy, now: 0)
                self.memory = memory
                directory = nil
                files = nil
                store = memory
            }
        }

        static func fileStore(_ files: Store, policy: VerificationPolicy, user: String, clock: @escaping () -> Int64) -> FileEnrollmentStore {
            FileEnrollmentStore(store: files, policy: policy, readSecret: { () throws(StoreError) in
                try Store.readSecret(at: files.secretPath(for: user), owners: files.trustedOwners)
            }, now: clock)
        }

        /// One login of `user` at the fixture's time, on a fresh store object as the module
        /// makes one per attempt (the in-memory store keeps its dictionaries).
        func login(_ answer: String, as user: String = "alice") throws -> LoginVerification {
            let context = LoginContext(service: "sshd", rhost: "192.0.2.1")
            if let memory {
                memory.now = now
                return try memory.verify(user: user, answer: answer, context: context)
            }
            let files = try #require(files)
            let time = now
            let reader: FileEnrollmentStore.SecretReader? = user == "alice" || FileManager.default.fileExists(atPath: files.secretPath(for: user))
                ? { () throws(StoreError) in try Store.readSecret(at: files.secretPath(for: user), owners: files.trustedOwners) }
                : nil
            let store = FileEnrollmentStore(store: files, policy: policy, readSecret: reader, now: { time })
            return try store.verify(user: user, answer: answer, context: context)
        }
    }

    @Test("digits before the prompt; unknown users are not enrolled", arguments: ["files", "memory"])
    func promptDigits(_ kind: String) throws {
        let fixture = try Fixture(kind)
        #expect(try fixture.store.promptDigits(user: "alice") == 6)
        #expect(try fixture.login("123456", as: "bob") == LoginVerification(.notEnrolled, failures: 0, throttledUntil: 0))
    }

    @Test("a code, its replay, a wrong code, the backup code once, and the throttle: the same in every store",
          arguments: ["files", "memory"])
    func sequence(_ kind: String) throws {
        let fixture = try Fixture(kind)
        let code = AuthenticatorApp.code(Self.secret, at: fixture.now)
        #expect(try fixture.login(code).outcome == .acceptedTOTP)
        #expect(try fixture.login(code) == LoginVerification(.replayed, failures: 1, throttledUntil: 0, backupCodesLeft: 1))
        #expect(try fixture.login("000000") == LoginVerification(.rejected, failures: 2, throttledUntil: 0, backupCodesLeft: 1))
        let backup = try fixture.login(Self.backupCode)
        #expect(backup == LoginVerification(.acceptedBackup, failures: 0, throttledUntil: 0, backupCodesLeft: 0))
        #expect(backup.hookEvents == [.backupCodeUsed, .backupCodesLow])
        #expect(try fixture.login(Self.backupCode).outcome == .rejected, "a backup code works once")
        let throttle = ThrottlePolicy.standard
        var last = LoginVerification(.rejected, failures: 0, throttledUntil: 0)
        for _ in 1..<throttle.throttleAfter { last = try fixture.login("111111") }
        #expect(last.outcome == .rejected && last.failures == throttle.throttleAfter)
        let throttled = try fixture.login(AuthenticatorApp.code(Self.secret, at: fixture.now + 30))
        #expect(throttled.outcome == .throttled && throttled.throttledUntil > fixture.now, "\(throttled)")
        fixture.now = throttled.throttledUntil + 30
        #expect(try fixture.login(AuthenticatorApp.code(Self.secret, at: fixture.now)).outcome == .acceptedTOTP)
    }

    @Test("files: an enrollment replaced while the user is at the prompt is refused, and the state is untouched")
    func enrollmentChanged() throws {
        let fixture = try Fixture("files")
        let files = try #require(fixture.files)
        let store = Fixture.fileStore(files, policy: .standard, user: "alice", clock: { Self.start })
        #expect(try store.promptDigits(user: "alice") == 6)
        let replacement = SecretRecord(secret: Array("another secret 12345".utf8), parameters: .standard, created: Self.start, backupCodes: [])
        try Store.writeSecret(replacement, to: files.secretPath(for: "alice"))
        let answer = AuthenticatorApp.code(Self.secret, at: Self.start)
        #expect(try store.verify(user: "alice", answer: answer, context: LoginContext(service: "sshd", rhost: nil)).outcome
                == .enrollmentChanged)
        #expect(!FileManager.default.fileExists(atPath: files.statePath(for: "alice")))
    }

    @Test("files: an accepted login (code or backup code) records its time as last_accepted; a refusal leaves it")
    func lastAccepted() throws {
        let fixture = try Fixture("files")
        let files = try #require(fixture.files)
        let administration = FileEnrollmentAdministration(
            store: files, secretFile: StoreSecretFile(path: files.secretPath(for: "alice"), owners: files.trustedOwners),
            policy: .standard, now: { fixture.now })
        #expect(try administration.status(user: "alice").lastAccepted == nil)
        #expect(try fixture.login(AuthenticatorApp.code(Self.secret, at: fixture.now)).outcome == .acceptedTOTP)
        #expect(try files.readState(user: "alice").lastAccepted == Self.start)
        fixture.now += 40
        #expect(try fixture.login("000000").outcome == .rejected)
        #expect(try files.readState(user: "alice").lastAccepted == Self.start, "a refusal is not a login")
        fixture.now += 40
        #expect(try fixture.login(Self.backupCode).outcome == .acceptedBackup)
        #expect(try administration.status(user: "alice").lastAccepted == Self.start + 80)
        #expect(try administration.status(user: "alice").credentialCount == 1)
    }

    @Test("a store that fails says so; it is never 'not enrolled'")
    func failures() throws {
        let memory = InMemoryEnrollmentStore(now: Self.start)
        memory.failure = EnrollmentStoreError(.databaseUnavailable, "down")
        #expect(throws: EnrollmentStoreError(.databaseUnavailable, "down")) { try memory.promptDigits(user: "alice") }
        let directory = try TemporaryDirectory("s2fa-store")
        #expect(chmod(directory.path, 0o777) == 0)
        let open = FileEnrollmentStore(store: Store(directory: directory.path), policy: .standard, readSecret: nil, now: { Self.start })
        #expect(throws: EnrollmentStoreError.self) { try open.promptDigits(user: "alice") }
        #expect(throws: EnrollmentStoreError.self) {
            try open.verify(user: "alice", answer: "123456", context: LoginContext(service: "sshd", rhost: nil))
        }
    }
}

/// The administration of the file store and the in-memory store: the same life of an
/// enrollment (`AdministrationContract`); FleetTests runs it against the database.
@Suite("One administration interface: the same changes in every store")
struct EnrollmentAdministrationContractTests {
    @Test("files: nothing, pending, confirmed, throttled and unlocked, new codes, replaced, imported, reset")
    func files() throws {
        let files = try FileFixture()
        try AdministrationContract.run(files.administration, user: "alice", now: files.clock.read)
        try AdministrationContract.enrollAtLogin(files.administration, user: "alice", now: files.clock.read)
        try AdministrationContract.grace(files.administration, user: "alice", now: files.clock.read)
        try CredentialContract.run(files.administration, user: "alice", now: files.clock.read)
        try AdministrationContract.importSeveral(files.administration, user: "alice", now: files.clock.read)
    }

    @Test("memory: the same life")
    func memory() throws {
        let memory = InMemoryEnrollmentStore(now: EnrollmentStoreContractTests.start)
        try AdministrationContract.run(memory, user: "alice", now: { memory.now })
        try AdministrationContract.enrollAtLogin(memory, user: "alice", now: { memory.now })
        try AdministrationContract.grace(memory, user: "alice", now: { memory.now })
        try CredentialContract.run(memory, user: "alice", now: { memory.now })
        try AdministrationContract.importSeveral(memory, user: "alice", now: { memory.now })
    }

    @Test("files: a pending enrollment that expired is reported as such, and a change that fails leaves the old enrollment")
    func expiryAndRollback() throws {
        let files = try FileFixture()
        let (administration, clock, store, file) = (files.administration, files.clock, files.store, files.file)
        let secret = Array("12345678901234567890".utf8)
        let until = try administration.beginPending(user: "alice", record: SecretRecord(secret: secret, parameters: .standard,
                                                                                         created: clock.value))
        clock.value = until + 1
        #expect(try administration.confirmPending(user: "alice", code: AuthenticatorApp.code(secret, at: clock.value),
                                                  replace: false) == .expired(at: until))
        #expect(try administration.status(user: "alice").phase == .notEnrolled)

        let first = try administration.activate(user: "alice", record: SecretRecord(secret: secret, parameters: .standard,
                                                                                     created: clock.value),
                                                lastStep: 0, replace: false)
        #expect(first.stateReset)
        // The state file cannot be replaced (a directory in its place): the new secret is taken back.
        #expect(unlink(store.statePath(for: "alice")) == 0 && mkdir(store.statePath(for: "alice"), 0o700) == 0)
        let other = Array("another secret 12345".utf8)
        #expect(throws: EnrollmentStoreError.self) {
            try administration.activate(user: "alice", record: SecretRecord(secret: other, parameters: .standard,
                                                                            created: clock.value),
                                        lastStep: 0, replace: true)
        }
        #expect(try file.read()?.credentials.first?.secret == secret)
    }

    /// A file store in a private directory, for alice, with a clock the test moves.
    struct FileFixture {
        let directory: TemporaryDirectory
        let store: Store
        let file: StoreSecretFile
        let clock = Clock(start: EnrollmentStoreContractTests.start)
        let administration: FileEnrollmentAdministration<StoreSecretFile>

        init() throws {
            directory = try TemporaryDirectory("s2fa-admin")
            store = Store(directory: directory.path + "/store")
            file = StoreSecretFile(path: store.secretPath(for: "alice"), owners: store.trustedOwners)
            administration = FileEnrollmentAdministration(store: store, secretFile: file, policy: .standard, now: clock.read)
        }
    }

    /// A clock the test moves.
    final class Clock {
        var value: Int64
        init(start: Int64) { value = start }
        func read() -> Int64 { value }
    }
}

/// What a login tells the event hook, from the file and in-memory stores alike.
@Suite("Hook events of a login")
struct LoginHookEventTests {
    @Test("the attempt that locks says so once; later ones do not", arguments: ["files", "memory"])
    func lock(_ kind: String) throws {
        var policy = VerificationPolicy.standard
        policy.throttle = ThrottlePolicy(throttleAfter: 5, baseDelay: 30, maxDelay: 900, lockAfter: 2)
        let fixture = try EnrollmentStoreContractTests.Fixture(kind, policy: policy)
        let first = try fixture.login("000000")
        #expect(first.hookEvents.isEmpty && !first.lockedNow)
        let second = try fixture.login("000001")
        #expect(second.lockedNow && second.hookEvents == [.locked], "\(second)")
        let third = try fixture.login("000002")
        #expect(third.outcome == .locked && third.hookEvents.isEmpty)
    }

    @Test("a hook event's JSON: every field, escaped, never a code")
    func json() {
        let event = HookEvent(.backupCodesLow, user: "al\"ice", service: "sshd", rhost: nil, time: 1_800_000_000,
                              host: "h\n1", backupCodesLeft: 2)
        #expect(event.json == #"{"event":"backup-codes-low","user":"al\"ice","service":"sshd","rhost":null,"time":1800000000,"host":"h\n1","backup_codes_left":2}"# + "\n")
        let plain = HookEvent(.reset, user: "bob", service: "swift-2fa-setup", rhost: "192.0.2.1\u{1}", time: 1, host: "h")
        #expect(plain.json == #"{"event":"reset","user":"bob","service":"swift-2fa-setup","rhost":"192.0.2.1\u0001","time":1,"host":"h"}"# + "\n")
    }
}
