import Foundation
import Glibc
import TestSupport
import Testing
import TwoFactorCore
@testable import TwoFactorStore

@Suite("Per-user lock")
struct UserLockTests {
    @Test("the lock is exclusive until released")
    func exclusive() throws {
        let directory = try TemporaryDirectory("s2fa-store")
        let path = directory.file("alice.lock")
        let first = try UserLock.acquire(path: path)
        guard let error = storeError({ () throws(StoreError) in _ = try UserLock.acquire(path: path, timeoutMilliseconds: 100) }) else {
            Issue.record("a second holder got the lock")
            return
        }
        #expect(error.description.contains("timed out"))
        first.release()
        #expect((try? UserLock.acquire(path: path, timeoutMilliseconds: 100)) != nil)
    }

    @Test("a waiting login gets the lock as soon as another process releases it")
    func waits() throws {
        let directory = try TemporaryDirectory("s2fa-store")
        let path = directory.file("alice.lock")
        // util-linux flock(1) holds the same kind of lock in another process for 0.3 s.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["--exclusive", path, "sleep", "0.3"]
        try holder.run()
        defer { holder.waitUntilExit() }
        // Wait until flock(1) holds it.
        while let early = try? UserLock.acquire(path: path, timeoutMilliseconds: 0) {
            early.release()
            usleep(1_000)
        }
        let start = Date()
        let waiter = try? UserLock.acquire(path: path, timeoutMilliseconds: 5_000)
        #expect(waiter != nil)
        #expect(Date().timeIntervalSince(start) >= 0.05)
    }

    @Test("a symlink as lock file is refused")
    func symlinkRefused() throws {
        let directory = try TemporaryDirectory("s2fa-store")
        try directory.write("", to: "target")
        #expect(symlink(directory.file("target"), directory.file("alice.lock")) == 0)
        guard let error = storeError({ () throws(StoreError) in _ = try UserLock.acquire(path: directory.file("alice.lock")) }) else {
            Issue.record("symlink accepted")
            return
        }
        #expect(error.description.contains("symbolic link"))
    }
}

@Suite("Store directory and accounts")
struct StoreTests {
    @Test("paths are <store>/<user>.<kind>")
    func paths() {
        let store = Store(directory: "/var/lib/swift-2fa")
        #expect(store.secretPath(for: "alice") == "/var/lib/swift-2fa/alice.secret")
        #expect(store.statePath(for: "alice") == "/var/lib/swift-2fa/alice.state")
        #expect(store.lockPath(for: "alice") == "/var/lib/swift-2fa/alice.lock")
        #expect(store.pendingPath(for: "alice") == "/var/lib/swift-2fa/alice.pending")
    }

    @Test("the directory check refuses group/other-writable, symlinked and missing stores")
    func directoryChecks() throws {
        let directory = try TemporaryDirectory("s2fa-store")
        try Store(directory: directory.path).checkDirectory()
        #expect(mkdir(directory.file("open"), 0o777) == 0)
        chmod(directory.file("open"), 0o777)
        #expect(storeError { () throws(StoreError) in try Store(directory: directory.file("open")).checkDirectory() }?.description.contains("writable by group or others") == true)
        #expect(symlink(directory.path, directory.file("link")) == 0)
        #expect(storeError { () throws(StoreError) in try Store(directory: directory.file("link")).checkDirectory() }?.description.contains("not a directory") == true)
        #expect(storeError { () throws(StoreError) in try Store(directory: directory.file("absent")).checkDirectory() } != nil)
    }

    @Test("createDirectory makes a 0700 store")
    func create() throws {
        let directory = try TemporaryDirectory("s2fa-store")
        let store = Store(directory: directory.file("store"))
        try store.createDirectory()
        var info = stat()
        #expect(stat(store.directory, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
    }

    @Test("state round-trips through the store, and a missing state is the initial one")
    func stateRoundTrip() throws {
        let directory = try TemporaryDirectory("s2fa-store")
        let store = Store(directory: directory.path)
        #expect(try store.readState(user: "alice") == UserState())
        let state = UserState(failures: 2, throttledUntil: 99, locked: false, usedBackupSalts: [],
                              credentials: [CredentialState(fingerprint: "0123456789abcdef", lastCounter: 42, lastUsed: 7)])
        try store.writeState(state, user: "alice")
        #expect(try store.readState(user: "alice") == state)
    }

    @Test("passwd lookups come from the system database; an unknown name is 'no such user'")
    func passwd() throws {
        #expect(try PasswdEntry.lookup("root").uid == 0)
        #expect(try PasswdEntry.lookup("root").home == "/root")
        #expect(try PasswdEntry.lookup(uid: 0).name == "root")
        #expect(throws: PasswdLookupError.noSuchUser) { try PasswdEntry.lookup("s2fa-no-such-user") }
    }
}
