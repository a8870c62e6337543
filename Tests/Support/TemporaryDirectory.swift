import Foundation
import Glibc

/// A private temporary directory for one test (mode 0700 unless told otherwise), removed with
/// everything in it when the last reference goes.
public final class TemporaryDirectory {
    /// The directory's absolute path.
    public let path: String

    /// The directory as a file URL.
    public var url: URL { URL(fileURLWithPath: path, isDirectory: true) }

    /// Creates `<parent>/<prefix>.XXXXXX` with `mode`; `parent` is the system's temporary
    /// directory unless given.
    public init(_ prefix: String = "s2fa-test", mode: mode_t = 0o700,
                in parent: String = FileManager.default.temporaryDirectory.path) throws(FixtureError) {
        var template = Array("\(parent)/\(prefix).XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else {
            throw FixtureError(text: "mkdtemp in \(parent) failed: errno \(errno)")
        }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard chmod(path, mode) == 0 else { throw FixtureError(text: "chmod \(path) failed: errno \(errno)") }
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of `name` inside the directory.
    public func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Writes `text` to `name` (replacing it) and gives it `mode`.
    public func write(_ text: String, to name: String, mode: mode_t = 0o600) throws(FixtureError) {
        do {
            try text.write(toFile: file(name), atomically: false, encoding: .utf8)
        } catch {
            throw FixtureError(text: "cannot write \(file(name)): \(error)")
        }
        guard chmod(file(name), mode) == 0 else { throw FixtureError(text: "chmod \(file(name)) failed: errno \(errno)") }
    }

    /// The text of `name` (bytes that are not UTF-8 replaced), or nil when it cannot be read.
    public func read(_ name: String) -> String? {
        FileManager.default.contents(atPath: file(name)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The permission bits of `name`, or nil when it does not exist.
    public func mode(_ name: String) -> Int? {
        (try? FileManager.default.attributesOfItem(atPath: file(name)))?[.posixPermissions] as? Int
    }

    /// The names in the directory, sorted.
    public func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }
}
