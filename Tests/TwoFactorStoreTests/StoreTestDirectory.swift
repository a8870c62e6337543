import Foundation
import TwoFactorStore
import Glibc

/// A private temporary directory (mode 0700) removed when the test ends.
final class StoreTestDirectory {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("s2fa-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A path inside the directory.
    func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Writes text with a mode.
    func write(_ text: String, to name: String, mode: mode_t = 0o600) throws {
        try text.write(toFile: file(name), atomically: false, encoding: .utf8)
        chmod(file(name), mode)
    }

    /// Names in the directory, sorted.
    func listing() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }
}

/// The error `body` throws, or nil when it succeeds.
func storeError(_ body: () throws(StoreError) -> Void) -> StoreError? {
    do throws(StoreError) {
        try body()
        return nil
    } catch {
        return error
    }
}
