/// What Debian and Ubuntu's PAM services are, beyond their files.
public enum ServiceFacts {
    /// Services that come with a second file for another way into the same program:
    /// Debian 12 and 13 ship `sudo-i` for `sudo -i` next to `sudo`. `pam enable` and
    /// `pam disable` of the first also cover the second where it exists.
    public static let companions: [String: [String]] = ["sudo": ["sudo-i"]]

    /// Services whose program never calls `pam_authenticate` (only account and session),
    /// although their file may include common-auth: cron and atd run jobs, systemd-user
    /// starts user managers.
    public static let neverAuthenticate: Set<String> = ["cron", "atd", "systemd-user"]

    /// The pam-auth-update file that carries the profile's line when it is on.
    public static let profileFile = "common-auth"

    /// Whether `service` ever authenticates: not one of `neverAuthenticate`, and its auth
    /// stack can succeed (`other` on some systems only denies).
    public static func authenticates(_ service: String, report: StackRules.Report) -> Bool {
        !neverAuthenticate.contains(service) && report.canSucceed
    }
}
