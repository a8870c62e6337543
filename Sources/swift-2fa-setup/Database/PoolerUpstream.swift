import CPQ
import Glibc

/// Where the local PgBouncer reaches the fleet database, read from the configuration file's
/// `database = CONNINFO` with libpq's own parser (`PQconninfoParse`, which reads no
/// environment and applies no defaults), keeping only what PgBouncer 1.18 can honour.
///
/// Refused, each with one line that names the keyword:
/// - any keyword not in `PoolerUpstream.accepted` (`hostaddr`, `passfile`, `service`,
///   `options`, `sslcrl`, `keepalives`, ...): PgBouncer cannot carry it;
/// - several hosts: PgBouncer 1.18 spreads new server connections over them round-robin, it
///   does not fail over, so half the logins would reach a standby (and fail closed). Name one
///   address that always points at the primary (a virtual IP, a DNS name moved on failover,
///   or a proxy);
/// - a TCP upstream without `sslmode=verify-full` and `sslrootcert=`, unless `--insecure-tls`;
/// - a missing `dbname` or `user` (libpq would take them from the environment or the Unix user);
/// - values with characters PgBouncer's files cannot carry (blanks, quotes, `\`, `;`, `#`,
///   control characters); the password only goes to the auth file, where it is quoted.
struct PoolerUpstream: Equatable {
    /// A Unix socket directory or a TCP host name or address.
    enum Link: Equatable {
        case unixSocket(directory: String)
        case tcp(host: String)
    }

    let link: Link
    let port: Int
    let database: String
    let role: String
    /// The role's password, for the auth file only.
    let password: String?
    /// PgBouncer's `server_tls_sslmode` for a TCP link (libpq's default `prefer` when unset).
    let sslMode: String
    let rootCertificate: String?
    let certificate: String?
    let key: String?
    /// Seconds for PgBouncer to connect to the database.
    let connectTimeout: Int?
    let applicationName: String?

    /// The keywords that PgBouncer can honour. `target_session_attrs` only as `any`,
    /// `read-write` or `primary`: with one host, a standby refuses `verify`'s writes and the
    /// login fails closed, which is what `read-write` asks for.
    static let accepted: Set<String> = ["host", "port", "dbname", "user", "password", "sslmode", "sslrootcert",
                                        "sslcert", "sslkey", "connect_timeout", "application_name",
                                        "target_session_attrs"]
    /// libpq's sslmode values, weakest first; PgBouncer's `server_tls_sslmode` takes the same.
    static let sslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
    /// libpq's default socket directory on Debian, written out because PgBouncer's default
    /// would be its own socket directory.
    static let defaultSocketDirectory = "/var/run/postgresql"

    /// TLS to the database without checking the server's name against its certificate.
    var isInsecureTLS: Bool {
        if case .tcp = link { return sslMode != "verify-full" }
        return false
    }

    /// Parses and checks `conninfo`; `insecureTLS` allows a TCP upstream weaker than verify-full.
    static func parse(_ conninfo: String, insecureTLS: Bool) throws(SetupFailure) -> PoolerUpstream {
        let options = try libpqOptions(conninfo)
        var values: [String: String] = [:]
        for (keyword, value) in options {
            guard accepted.contains(keyword) else {
                throw .usage("the pooler cannot honour '\(keyword)=' in 'database ='; "
                             + "it takes only \(accepted.sorted().joined(separator: ", "))")
            }
            if keyword != "password" { try checkCarriable(keyword, value) }
            values[keyword] = value
        }
        guard let database = values["dbname"], !database.isEmpty else {
            throw .usage("'database =' names no dbname=; the pooler needs it written out")
        }
        guard let role = values["user"], !role.isEmpty else {
            throw .usage("'database =' names no user=; the pooler needs the server's role written out")
        }
        let host = values["host"] ?? ""
        guard !host.contains(","), !(values["port"] ?? "").contains(",") else {
            throw .usage("'database =' names several hosts; PgBouncer spreads connections over them round-robin "
                         + "instead of failing over: name one address that always reaches the primary")
        }
        let link: Link = host.isEmpty ? .unixSocket(directory: defaultSocketDirectory)
            : host.hasPrefix("/") ? .unixSocket(directory: host) : .tcp(host: host)
        let port = try number("port", values["port"], in: 1...65535) ?? 5432
        let timeout = try number("connect_timeout", values["connect_timeout"], in: 1...3600)
        if let attributes = values["target_session_attrs"], !["any", "read-write", "primary"].contains(attributes) {
            throw .usage("the pooler cannot honour target_session_attrs=\(attributes) (only any, read-write or primary)")
        }
        let sslMode = values["sslmode"] ?? "prefer"
        guard sslModes.contains(sslMode) else { throw .usage("unknown sslmode=\(sslMode) in 'database ='") }
        let upstream = PoolerUpstream(
            link: link, port: port, database: database, role: role, password: values["password"],
            sslMode: sslMode, rootCertificate: values["sslrootcert"], certificate: values["sslcert"],
            key: values["sslkey"], connectTimeout: timeout, applicationName: values["application_name"])
        if case .tcp(let host) = link, !insecureTLS {
            guard sslMode == "verify-full" else {
                throw .usage("'database =' reaches \(host) over TCP with sslmode=\(sslMode); the pooler needs "
                             + "sslmode=verify-full and sslrootcert= (or --insecure-tls, which db status reports)")
            }
            guard upstream.rootCertificate != nil else {
                throw .usage("sslmode=verify-full needs sslrootcert=FILE (the CA that signed the database's certificate)")
            }
        }
        if let password = upstream.password,
           password.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            throw .usage("the password in 'database =' has a control character")
        }
        return upstream
    }

    /// The keyword/value pairs that `conninfo` sets, in libpq's order.
    private static func libpqOptions(_ conninfo: String) throws(SetupFailure) -> [(String, String)] {
        var error = [CChar](repeating: 0, count: Int(S2FA_PQ_ERROR_CAPACITY))
        var result: UnsafeMutablePointer<s2fa_pq_rows>?
        let status = s2fa_pq_parse(conninfo, &result, &error)
        defer { s2fa_pq_free(result) }
        let message = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard status == Int32(S2FA_PQ_OK.rawValue), let result else {
            if status == Int32(S2FA_PQ_REFUSED.rawValue) { throw .usage("'database =' is not a valid connection string: \(message)") }
            throw .io(message.isEmpty ? "cannot parse the connection string" : message)
        }
        var pairs: [(String, String)] = []
        for row in 0..<max(0, Int(result.pointee.rows)) {
            guard let keyword = s2fa_pq_value(result, Int32(row), 0), let value = s2fa_pq_value(result, Int32(row), 1) else {
                continue
            }
            pairs.append((String(cString: keyword), String(cString: value)))
        }
        return pairs
    }

    /// Refuses a value that PgBouncer's ini and `[databases]` line cannot carry unquoted.
    private static func checkCarriable(_ keyword: String, _ value: String) throws(SetupFailure) {
        let forbidden: Set<UInt8> = [0x20, 0x09, 0x22, 0x27, 0x5C, 0x3B, 0x23, 0x3D]
        if value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || forbidden.contains($0) }) {
            throw .usage("the value of '\(keyword)=' in 'database =' has a character the pooler's configuration "
                         + "cannot carry (blank, quote, backslash, '=', ';', '#' or a control character)")
        }
    }

    private static func number(_ keyword: String, _ text: String?, in range: ClosedRange<Int>) throws(SetupFailure) -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .usage("\(keyword)=\(text) in 'database =' is not a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}
