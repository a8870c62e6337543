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

    @Test("a file is read whole at every size up to the limit", arguments: [0, 1, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 40_000, SafeFile.maximumSize])
    func wholeFile(size: Int) throws {
        let directory = try TemporaryDirectory("s2fa-store")
        let path = directory.file("a")
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 251) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o600)
        #expect(try SafeFile.readBytes(path, what: "test file", requirements: root) == bytes)
    }

    @Test("reading stops with an error once the file passes the limit", arguments: [(20_000, 20_000, true), (20_000, 20_001, false), (40_000, 70_000, false)])
    func limit(limit: Int, size: Int, accepted: Bool) throws {
        let directory = try TemporaryDirectory("s2fa-store")
        let path = directory.file("a")
        try Data(repeating: 0x61, count: size).write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let error = storeError { () throws(StoreError) in
            #expect(try SafeFile.readAll(fd, named: "test file", limit: limit).count == size)
        }
        #expect(error?.description == (accepted ? nil : "test file is larger than \(limit) bytes"))
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
