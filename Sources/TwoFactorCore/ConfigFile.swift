/// The site-wide configuration file, `/etc/swift-2fa/swift-2fa.conf`, read by the module
/// and by `swift-2fa-setup` alike, so logins and the command apply one policy.
///
/// One `key = value` per line; `#` starts a comment line; blank lines are ignored. The keys
/// are module option names (`ConfigFile.keys`); an option on a module line overrides the
/// file for that service. A missing file means the built-in defaults. A malformed file is
/// refused with an error that names the line, and the caller fails closed.
///
///     # /etc/swift-2fa/swift-2fa.conf
///     window = 1
///     throttle_after = 3
///     store = /var/lib/swift-2fa
public struct ConfigFile: Equatable, Sendable {
    /// One `key = value` line.
    public struct Entry: Equatable, Sendable {
        public let key: String
        public let value: String
        /// 1-based line number, for error messages.
        public let line: Int
    }

    /// The entries in file order (each key at most once).
    public let entries: [Entry]
    /// The file they were read from, for error messages.
    public let path: String

    /// Where the module and the command look unless told otherwise (`config=`, `--config`).
    public static let defaultPath = "/etc/swift-2fa/swift-2fa.conf"
    /// Keys the file may set: the policy, the store, the exemptions, and the fleet database (`database`, a
    /// libpq connection string: everything after the first `=`, trimmed; `database_timeout`;
    /// `pooler`, the local PgBouncer's socket directory).
    public static let keys: Set<String> = ["window", "hotp_window", "throttle_after", "throttle_delay", "throttle_max", "lock_after", "store",
                                           "exempt_group", "require_group", "exempt_network", "grace_period", "grace_key",
                                           "database", "database_timeout", "pooler", "notify"]
    /// Keys that only the file may set, never a module line: a connection string can hold
    /// credentials and must not sit in a world-readable /etc/pam.d file, and the program
    /// root runs for every event is the site's choice, not one service's.
    public static let fileOnlyKeys: Set<String> = ["database", "database_timeout", "pooler", "notify"]
    /// Largest file accepted, in bytes.
    public static let maximumSize = 64 * 1024

    /// No file: the built-in defaults.
    public static let empty = ConfigFile(entries: [], path: defaultPath)

    /// No file at `path`: the built-in defaults.
    public static func empty(at path: String) -> ConfigFile { ConfigFile(entries: [], path: path) }

    init(entries: [Entry], path: String) {
        self.entries = entries
        self.path = path
    }

    /// Parses the file text. `path` is only used in error messages.
    public static func parse(_ text: String, path: String = defaultPath) throws(OptionError) -> ConfigFile {
        guard text.utf8.count <= maximumSize else { throw OptionError("\(path) is larger than \(maximumSize) bytes") }
        var entries: [Entry] = []
        var lineNumber = 0
        var rawLines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false)
        if rawLines.last?.isEmpty == true { rawLines.removeLast() }
        for raw in rawLines {
            lineNumber += 1
            let bytes = Array(raw.last == 0x0D ? raw.dropLast() : raw)
            let line = trimmed(bytes)
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            func failure(_ reason: String) -> OptionError { OptionError("\(path) line \(lineNumber): \(reason)") }
            guard line.allSatisfy({ ($0 >= 0x20 || $0 == 0x09) && $0 != 0x7F }) else { throw failure("control character") }
            guard let equals = line.firstIndex(of: UInt8(ascii: "=")) else { throw failure("expected 'key = value'") }
            let key = String(decoding: trimmed(Array(line[..<equals])), as: UTF8.self)
            let value = String(decoding: trimmed(Array(line[(equals + 1)...])), as: UTF8.self)
            guard keys.contains(key) else { throw failure("unknown key '\(key.prefix(64))'") }
            guard !value.isEmpty else { throw failure("'\(key)' has no value") }
            guard !entries.contains(where: { $0.key == key }) else { throw failure("'\(key)' is set more than once") }
            entries.append(Entry(key: key, value: value, line: lineNumber))
        }
        return ConfigFile(entries: entries, path: path)
    }

    /// The bytes without leading and trailing spaces and tabs.
    private static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return Array(bytes[start..<end])
    }
}
