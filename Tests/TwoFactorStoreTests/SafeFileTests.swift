import Foundation
import Glibc
import TestSupport
import Testing
@testable import TwoFactorStore

@Suite("Safe reading of trusted files", .requiresRoot("the files read must be owned by root, and one is handed to uid 1"))
struct SafeFileTests {
    let root = SafeFile.Requirements(allowedOwners: [0])

    @Test("a missing file reads as nil")
    func missing() throws {
        let directory = try TemporaryDirectory("s2fa-store")
        #expect(try SafeFile.read(directory.file("none"), what: "test file", requirements: root) == nil)
    }

    @Test("a private root-owned file is read")
    func readable() throws {
        let directory = try TemporaryDirectory("s2fa-store")
        try directory.write("content\n", to: "a")
        #expect(try SafeFile.read(directory.file("a"), what: "test file", requirements: root) == "content\n")
    }

    @Test("refusals name the file and the reason", arguments: [
        ("symlink", "is a symbolic link"), ("directory", "is not a regular file"), ("fifo", "is not a regular file"),
        ("0640", "accessible by group or others"), ("0604", "accessible by group or others"),
        ("owner", "is owned by uid 1"), ("large", "larger than"), ("binary", "is not text"),
    ])
    func refusals(kind: String, reason: String) throws {
        let directory = try TemporaryDirectory("s2fa-store")
        let path = directory.file("a")
        switch kind {
        case "symlink":
            try directory.write("x", to: "target")
            #expect(symlink(directory.file("target"), path) == 0)
        case "directory": #expect(mkdir(path, 0o700) == 0)
        case "fifo": #expect(mkfifo(path, 0o600) == 0)
        case "0640": try directory.write("x", to: "a", mode: 0o640)
        case "0604": try directory.write("x", to: "a", mode: 0o604)
        case "owner":
            try directory.write("x", to: "a")
            #expect(chown(path, 1, 1) == 0)
        case "large": try directory.write(String(repeating: "x", count: SafeFile.maximumSize + 1), to: "a")
        default:
            try Data([0xFF, 0xFE, 0x00, 0xC3]).write(to: URL(fileURLWithPath: path))
            chmod(path, 0o600)
        }
        guard let error = storeError({ () throws(StoreError) in _ = try SafeFile.read(path, what: "test file", requirements: root) }) else {
            Issue.record("\(kind) was accepted")
            return
        }
        #expect(error.description.hasPrefix("test file \(path) "))
        #expect(error.description.contains(reason), "\(error)")
    }
}
