import Glibc

/// The host name, the default issuer shown in authenticator apps (by `swift-2fa-setup
/// enroll` and by the module's enrollment at login).
public enum HostName {
    /// gethostname(2), or `localhost` if it fails.
    public static func current() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "localhost" : name
    }
}
