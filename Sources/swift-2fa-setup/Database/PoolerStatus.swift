import Glibc
import TwoFactorCore
import TwoFactorStore

/// What `db status` says about the local pooler of a configuration file.
struct PoolerStatus {
    let lines: [String]

    /// The pooler's state: configured (and how it reaches the database), socket, one call.
    init(configPath: String) {
        let files = PoolerConfiguration.Files(configPath: configPath)
        guard let settings = try? fleetSettings(configPath: configPath, or: "") else {
            lines = ["pooler:            none (\(configPath) names no database)"]
            return
        }
        var lines: [String] = []
        if let ini = Self.read(files.ini) {
            lines.append("pooler:            configured in \(files.ini); " + Self.upstream(ini))
        } else {
            lines.append("pooler:            not configured (no \(files.ini); run 'swift-2fa-setup db pooler enable')")
        }
        var info = stat()
        let socket = settings.poolerSocketPath
        let present = lstat(socket, &info) == 0 && (info.st_mode & S_IFMT) == S_IFSOCK
        lines.append("pooler socket:     \(socket) \(present ? "present" : "absent")")
        if present {
            do throws(EnrollmentStoreError) {
                try PoolerProbe(settings: settings).call()
                lines.append("pooler reachable:  yes (one call through it reached the database)")
            } catch {
                lines.append("pooler reachable:  no: \(error.description)")
            }
        }
        self.lines = lines
    }

    /// How the written ini reaches the database, INSECURE when its TLS mode is weaker than verify-full.
    static func upstream(_ ini: String) -> String {
        let entries = ini.split(separator: "\n").map { $0.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces } }
        guard let mode = entries.first(where: { $0.count == 2 && $0[0] == PoolerConfiguration.sslModeKey })?[1] else {
            return "Unix socket to the database (no TLS)"
        }
        return mode == "verify-full" ? "TLS to the database (verify-full)"
            : "INSECURE TLS to the database (server_tls_sslmode = \(mode), written with --insecure-tls)"
    }

    private static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 65536 {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension Substring {
    /// Without leading and trailing blanks.
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
