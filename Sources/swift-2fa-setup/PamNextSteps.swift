/// What to do after `pam enable SERVICE`: the per-service hints.
enum PamNextSteps {
    static func text(for service: String) -> String {
        let specific: String
        switch service {
        case "sshd":
            specific = """
                sshd: PAM now asks for the code. sshd itself must let PAM ask it; in /etc/ssh/sshd_config:
                    UsePAM yes
                    KbdInteractiveAuthentication yes
                    AuthenticationMethods keyboard-interactive            # password + code
                  or AuthenticationMethods publickey,keyboard-interactive  # key + password + code
                  (see /usr/share/doc/swift-2fa/pam.d-example/sshd_config.snippet), then: sshd -t && systemctl reload ssh
                  Keep this root session open and try: ssh USER@localhost from another terminal.
                """
        case "sudo": specific = "sudo: enrolled users are now asked for a code after their password. Try: sudo -k; sudo true (as an enrolled user)"
        case "cockpit": specific = "cockpit: the login page asks for the code after the password. Try it at https://HOST:9090/"
        case "su": specific = "su: the TARGET user (root for plain su) must give its code if enrolled."
        case "login": specific = "login: console logins ask for the code. Make sure root can still log in on the console (nullok, or a backup code at hand)."
        default: specific = "\(service): enrolled users are now asked for a code after their password. Try a login from a second terminal."
        }
        return specific + "\nUsers who have not enrolled keep working (nullok). Once everybody is enrolled, remove \"nullok\" from /etc/pam.d/\(service)."
    }
}
