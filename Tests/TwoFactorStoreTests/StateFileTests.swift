import Foundation
import Glibc
import TestSupport
import Testing
import TwoFactorCore
@testable import TwoFactorStore

/// The state file's I/O: created whole once, then updated in place in the same inode; a
/// symlink, a group-readable file or a damaged one is refused, never read as a fresh state.
@Suite("State file I/O")
struct StateFileTests {
    static func state(_ failures: Int) -> UserState {
        UserState(failures: failures, throttledUntil: 0, locked: false, usedBackupSalts: [],
                  credentials: [CredentialState(fingerprint: "0123456789abcdef", lastCounter: UInt64(100 + failures))])
    }

    static func inode(_ path: String) -> ino_t? {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_ino : nil
    }

    static func size(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }

    /// A store in a new directory where alice's state (1 failure) was written once; its state file's path.
    static func aliceWithState() throws -> (directory: TemporaryDirectory, store: Store, path: String) {
        let directory = try TemporaryDirectory("s2fa-state")
        let store = Store(directory: directory.path)
        try store.writeState(state(1), user: "alice")
        return (directory, store, store.statePath(for: "alice"))
    }

    @Test("the first write creates the file (mode 0600); later writes keep its inode and size and leave no other file")
    func inPlace() throws {
        let (directory, store, path) = try Self.aliceWithState()
        let created = Self.inode(path)
        #expect(directory.mode("alice.state") == 0o600)
        for failures in 2...4 {
            try store.writeState(Self.state(failures), user: "alice")
            #expect(Self.inode(path) == created, "write \(failures) replaced the file")
            #expect(try store.readState(user: "alice") == Self.state(failures))
        }
        #expect(Self.size(path) == StateSlotFile.blockSize + 2 * StateSlotFile.minimumSlotSize)
        #expect(try directory.listing() == ["alice.state"])
    }

    @Test("writing refuses a symlink and a file others can read, and changes neither")
    func refusals() throws {
        let directory = try TemporaryDirectory("s2fa-state")
        let store = Store(directory: directory.path)
        try directory.write("target", to: "target")
        #expect(symlink(directory.file("target"), store.statePath(for: "link")) == 0)
        let linked = storeError { () throws(StoreError) in try store.writeState(Self.state(1), user: "link") }
        #expect(linked?.description.contains("is a symbolic link") == true, "\(linked?.description ?? "written")")
        #expect(directory.read("target") == "target")
        try store.writeState(Self.state(1), user: "bob")
        #expect(chmod(store.statePath(for: "bob"), 0o640) == 0)
        let readable = storeError { () throws(StoreError) in try store.writeState(Self.state(2), user: "bob") }
        #expect(readable?.description.contains("is accessible by group or others") == true, "\(readable?.description ?? "written")")
        #expect(chmod(store.statePath(for: "bob"), 0o600) == 0)
        #expect(try store.readState(user: "bob") == Self.state(1))
    }

    @Test("a damaged file is an error naming the file and why, and the next write stores a valid state")
    func damaged() throws {
        let (directory, store, path) = try Self.aliceWithState()
        var bytes = Array(try #require(FileManager.default.contents(atPath: path)))
        bytes[StateSlotFile.blockSize + StateSlotFile.slotHeaderLength] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = storeError { () throws(StoreError) in _ = try store.readState(user: "alice") }
        #expect(error?.description == "\(path) is damaged: state file has no valid slot; slot 1: checksum mismatch; slot 2: never written",
                "\(error?.description ?? "read")")
        try store.writeState(Self.state(3), user: "alice")
        #expect(try store.readState(user: "alice") == Self.state(3))
        #expect(try directory.listing() == ["alice.state"])
    }
}
