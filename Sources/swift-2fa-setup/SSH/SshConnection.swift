import Glibc

/// The connection `ssh check --user/--host/--addr` asks about: sshd's `-C` test
/// specification, so `Match` blocks apply as for that login.
struct SshConnection: Equatable, Sendable {
    let user: String?
    let host: String?
    let address: String?

    /// Checks each value (a comma or `=` would change the specification sshd reads); nil
    /// when none is given.
    static func from(user: String?, host: String?, address: String?) throws(SetupFailure) -> SshConnection? {
        guard user != nil || host != nil || address != nil else { return nil }
        if let user {
            guard !user.isEmpty, !user.hasPrefix("-"), user.count <= 256,
                  user.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "._-$".contains($0)) }) else {
                throw .usage("'\(user)' is not a user name")
            }
        }
        if let host {
            guard !host.isEmpty, !host.hasPrefix("-"), host.count <= 253,
                  host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-".contains($0)) }) else {
                throw .usage("'\(host)' is not a host name")
            }
        }
        if let address {
            var buffer = [UInt8](repeating: 0, count: 16)
            guard inet_pton(AF_INET, address, &buffer) == 1 || inet_pton(AF_INET6, address, &buffer) == 1 else {
                throw .usage("'\(address)' is not a numeric IPv4 or IPv6 address")
            }
        }
        return SshConnection(user: user, host: host, address: address)
    }

    /// The argument of `sshd -C`, e.g. `user=alice,addr=192.0.2.7`.
    var specification: String {
        [("user", user), ("host", host), ("addr", address)]
            .compactMap { name, value in value.map { "\(name)=\($0)" } }
            .joined(separator: ",")
    }
}
