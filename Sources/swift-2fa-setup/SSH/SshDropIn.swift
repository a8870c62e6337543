import Glibc
import TwoFactorStore

/// The file `ssh enable` writes and `ssh disable` removes: a drop-in in the directory the
/// main configuration includes (`Include /etc/ssh/sshd_config.d/*.conf` on Debian), named
/// to sort first there, because sshd keeps the first value it reads for these keywords.
struct SshDropIn {
    /// The drop-in's name: sorts before the usual `50-cloud-init.conf` and friends.
    static let name = "00-swift-2fa.conf"
    /// The first line of every drop-in this command writes; `disable` removes only such a file.
    static let marker = "# Written by swift-2fa-setup ssh enable; 'swift-2fa-setup ssh disable' removes it."

    /// The drop-in's path.
    let path: String

    /// The drop-in of `mainFile`: in the directory named `sshd_config.d` that one of its
    /// global `Include` lines reads, with a pattern that takes the name. Nil when none does.
    static func locate(mainFile: String, finder: SshdLineFinder) -> SshDropIn? {
        for line in finder.globalLines("include") where line.location.file == mainFile {
            for pattern in line.arguments {
                let absolute = pattern.hasPrefix("/") ? pattern : "\(SshdLineFinder.configDirectory)/\(pattern)"
                guard let slash = absolute.lastIndex(of: "/") else { continue }
                let directory = String(absolute[..<slash])
                let base = String(absolute[absolute.index(after: slash)...])
                guard directory.hasSuffix("/sshd_config.d"), !directory.contains(where: { "*?[".contains($0) }),
                      fnmatch(base, name, 0) == 0 else { continue }
                return SshDropIn(path: "\(directory)/\(name)")
            }
        }
        return nil
    }

    /// The directory that holds the drop-in.
    var directory: String { String(path.dropLast(Self.name.count + 1)) }

    /// The drop-in's text now; nil when there is none.
    func read() throws(SetupFailure) -> String? { try PamDirectory.read(absolutePath: path) }

    /// Writes the drop-in atomically, root's, mode 0644.
    func write(_ text: String) throws(SetupFailure) {
        do { try AtomicFile.write(text, to: path, mode: 0o644, owner: (uid: 0, gid: 0)) } catch { throw .io("\(error)") }
    }

    /// Removes the drop-in (absent is fine).
    func remove() throws(SetupFailure) {
        do { try AtomicFile.remove(path) } catch { throw .io("\(error)") }
    }

    /// The drop-in's text: the code through PAM's keyboard-interactive for every login,
    /// after a public key too when `withKey`.
    static func text(withKey: Bool) -> String {
        """
        \(marker)
        # sshd keeps the first value it reads for each keyword, so this file sorts first in
        # sshd_config.d. The code is asked by pam_swift2fa.so in /etc/pam.d/sshd
        # ('swift-2fa-setup pam enable sshd'); check with 'swift-2fa-setup ssh check'.
        UsePAM yes
        KbdInteractiveAuthentication yes
        PasswordAuthentication no
        \(withKey ? "PubkeyAuthentication yes\nAuthenticationMethods publickey,keyboard-interactive" : "AuthenticationMethods keyboard-interactive")

        """
    }
}
