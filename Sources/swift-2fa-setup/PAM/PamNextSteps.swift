/// What to do after `pam enable SERVICE`: the per-service hints.
enum PamNextSteps {
    /// The sshd drop-in the README and the hint name: Debian's sshd_config includes
    /// sshd_config.d/*.conf at its top, and sshd keeps the first value it reads, so settings
    /// appended to sshd_config itself lose to its earlier `KbdInteractiveAuthentication no`.
    static let sshdDropIn = "/etc/ssh/sshd_config.d/50-swift-2fa.conf"

    /// The hint for `service`; `companions` are the paired services enabled with it.
    static func text(for service: String, companions: [String] = []) -> String {
        let specific: String
        switch service {
        case "sshd":
            specific = """
                sshd: PAM now asks for the code. sshd itself must let PAM ask it; put these lines in \
                the drop-in \(sshdDropIn) (not at the end of sshd_config: Debian's sshd_config reads \
                sshd_config.d first, and sshd keeps the first value it sees):
                    UsePAM yes
                    KbdInteractiveAuthentication yes
                    PasswordAuthentication no
                    AuthenticationMethods keyboard-interactive              # password + code
                  or AuthenticationMethods publickey,keyboard-interactive  # key + password + code
                  (see /usr/share/doc/swift-2fa/pam.d-example/sshd_config.snippet), then: sshd -t && systemctl reload ssh
                  Keep this root session open and try: ssh USER@localhost from another terminal.
                """
        case "sudo":
            let also = companions.contains("sudo-i") ? " (sudo and sudo -i: /etc/pam.d/sudo-i too)" : ""
            specific = "sudo: enrolled users are now asked for a code after their password\(also). Try: sudo -k; sudo true (as an enrolled user)"
        case "cockpit": specific = "cockpit: the login page asks for the code after the password. Try it at https://HOST:9090/"
        case "su": specific = "su: the TARGET user (root for plain su) must give its code if enrolled."
        case "login": specific = "login: console logins ask for the code. Make sure root can still log in on the console (nullok, or a backup code at hand)."
        default: specific = "\(service): enrolled users are now asked for a code after their password. Try a login from a second terminal."
        }
        let files = ([service] + companions).map { "/etc/pam.d/\($0)" }.joined(separator: " and ")
        return specific + "\nUsers who have not enrolled keep working (nullok). Once everybody is enrolled, remove \"nullok\" from \(files)."
    }
}
