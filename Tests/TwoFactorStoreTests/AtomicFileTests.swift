import Foundation
import Glibc
import TestSupport
import Testing
@testable import TwoFactorStore

@Suite("Atomic file replacement")
struct AtomicFileTests {
    @Test("writes a new file with mode 0600 and leaves no temporary file")
    func createsFile() throws {
        let directory = try TemporaryDirectory("s2fa-store")
        try AtomicFile.write("hello\n", to: directory.file("a"))
        #expect(try String(contentsOfFile: directory.file("a"), encoding: .utf8) == "hello\n")
        var info = stat()
        #expect(stat(directory.file("a"), &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        #expect(try directory.listing() == ["a"])
    }

    @Test("replaces an existing file by rename: a new inode, the old contents gone")
    func replaces() throws {
        let directory = try TemporaryDirectory("s2fa-store")
        try directory.write("old", to: "a", mode: 0o644)
        var before = stat()
        #expect(stat(directory.file("a"), &before) == 0)
        try AtomicFile.write("new", to: directory.file("a"))
        var after = stat()
        #expect(stat(directory.file("a"), &after) == 0)
        #expect(after.st_ino != before.st_ino)
        #expect(after.st_mode & 0o777 == 0o600)
        #expect(try String(contentsOfFile: directory.file("a"), encoding: .utf8) == "new")
    }

    @Test("replaces a symlink itself, never writing through it")
    func doesNotFollowSymlink() throws {
        let directory = try TemporaryDirectory("s2fa-store")
        try directory.write("target", to: "target")
        #expect(symlink(directory.file("target"), directory.file("link")) == 0)
        try AtomicFile.write("new", to: directory.file("link"))
        #expect(try String(contentsOfFile: directory.file("target"), encoding: .utf8) == "target")
        var info = stat()
        #expect(lstat(directory.file("link"), &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFREG)
    }

    @Test("a write into a missing directory fails with a clear reason and creates nothing")
    func missingDirectory() throws {
        let directory = try TemporaryDirectory("s2fa-store")
        let error = storeError { () throws(StoreError) in try AtomicFile.write("x", to: directory.file("absent/a")) }
        #expect(error?.description.contains("cannot open directory") == true)
        #expect(try directory.listing().isEmpty)
    }

    @Test("a symlink in place of the directory is not followed")
    func symlinkedDirectory() throws {
        let directory = try TemporaryDirectory("s2fa-store")
        #expect(mkdir(directory.file("real"), 0o700) == 0)
        #expect(symlink(directory.file("real"), directory.file("link")) == 0)
        let error = storeError { () throws(StoreError) in try AtomicFile.write("x", to: directory.file("link/a")) }
        #expect(error?.description.contains("cannot open directory") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("real")).isEmpty)
    }

    @Test("a failed rename (target is a directory) keeps the target and removes the temporary file")
    func failedRename() throws {
        let directory = try TemporaryDirectory("s2fa-store")
        #expect(mkdir(directory.file("a"), 0o700) == 0)
        #expect(mkdir(directory.file("a/inner"), 0o700) == 0)
        let error = storeError { () throws(StoreError) in try AtomicFile.write("x", to: directory.file("a")) }
        #expect(error?.description.contains("cannot rename") == true)
        #expect(try directory.listing() == ["a"])
    }

    @Test("remove deletes a file and accepts a missing one")
    func remove() throws {
        let directory = try TemporaryDirectory("s2fa-store")
        try directory.write("x", to: "a")
        try AtomicFile.remove(directory.file("a"))
        try AtomicFile.remove(directory.file("a"))
        #expect(try directory.listing().isEmpty)
    }
}
