import Foundation
import PAMStack

/// PAM files for the tests: the active lines Debian 12 ships (libpam-runtime, sudo,
/// openssh-server, login, util-linux, cockpit-ws), the repository's pam.d-example files,
/// and hostile stacks an admin could write.
enum StackFixtures {
    static let commonAuth = """
        auth\t[success=1 default=ignore]\tpam_unix.so nullok
        auth\trequisite\t\t\tpam_deny.so
        auth\trequired\t\t\tpam_permit.so
        auth\toptional\t\t\tpam_cap.so

        """
    /// common-auth after `pam-auth-update --enable swift-2fa`.
    static let commonAuthWithProfile = """
        auth\t[success=1 default=ignore]\tpam_unix.so nullok
        auth\trequisite\t\t\tpam_deny.so
        auth\trequired\t\t\tpam_permit.so
        auth\trequired\t\t\tpam_swift2fa.so nullok
        auth\toptional\t\t\tpam_cap.so

        """
    /// common-auth with a directory service too (pam-auth-update with libpam-sss).
    static let commonAuthWithSSS = """
        auth\t[success=2 default=ignore]\tpam_unix.so nullok
        auth\t[success=1 default=ignore]\tpam_sss.so use_first_pass
        auth\trequisite\t\t\tpam_deny.so
        auth\trequired\t\t\tpam_permit.so
        auth\toptional\t\t\tpam_cap.so

        """
    static let sshd = """
        # PAM configuration for the Secure Shell service
        @include common-auth
        account    required     pam_nologin.so
        @include common-account
        session [success=ok ignore=ignore module_unknown=ignore default=bad]        pam_selinux.so close
        session    required     pam_loginuid.so
        @include common-session
        @include common-password

        """
    static let sudo = "#%PAM-1.0\n\n# Set up user limits\nsession    required   pam_limits.so\n\n@include common-auth\n@include common-account\n@include common-session-noninteractive\n"
    static let sudoI = "#%PAM-1.0\n\nsession    required   pam_limits.so\n\n@include common-auth\n@include common-account\n@include common-session\n"
    static let su = """
        auth       sufficient pam_rootok.so
        session       required   pam_env.so readenv=1
        session    required   pam_limits.so
        @include common-auth
        @include common-account
        @include common-session

        """
    static let suL = "auth include su\naccount include su\nsession include su\n"
    static let login = """
        auth       optional   pam_faildelay.so  delay=3000000
        auth       requisite  pam_nologin.so
        session [success=ok ignore=ignore module_unknown=ignore default=bad] pam_selinux.so close
        session    required     pam_loginuid.so
        @include common-auth
        auth       optional   pam_group.so
        session    required   pam_limits.so
        @include common-account
        @include common-session
        @include common-password

        """
    static let cockpit = """
        #%PAM-1.0
        auth       required     pam_sepermit.so
        auth       substack     common-auth
        auth       optional     pam_ssh_add.so
        auth       required     pam_listfile.so item=user sense=deny file=/etc/cockpit/disallowed-users onerr=succeed
        account    required     pam_nologin.so
        account    include      common-account
        password   include      common-password
        session    required     pam_selinux.so close
        session    include      common-session

        """
    static let cron = "@include common-auth\nsession    required     pam_loginuid.so\n@include common-account\n@include common-session-noninteractive\n"
    static let otherDenying = "auth required pam_warn.so\nauth required pam_deny.so\naccount required pam_deny.so\n"
    static let otherDebian = "@include common-auth\n@include common-account\n@include common-password\n@include common-session\n"

    /// The Debian 12 directory, before any edit.
    static var debian: [String: String] {
        [
            "common-auth": commonAuth, "common-account": "account [success=1 new_authtok_reqd=done default=ignore] pam_unix.so\naccount requisite pam_deny.so\naccount required pam_permit.so\n",
            "common-session": "session required pam_unix.so\n", "common-session-noninteractive": "session required pam_unix.so\n",
            "common-password": "password [success=1 default=ignore] pam_unix.so obscure yescrypt\npassword requisite pam_deny.so\npassword required pam_permit.so\n",
            "sshd": sshd, "sudo": sudo, "sudo-i": sudoI, "su": su, "su-l": suL, "login": login, "cockpit": cockpit,
            "cron": cron, "other": otherDebian,
        ]
    }

    /// A file of pam.d-example/.
    static func example(_ name: String) -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("pam.d-example/\(name)")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }

    /// The stack of `service` in `files`.
    static func stack(_ service: String, in files: [String: String]) -> AuthStack {
        AuthStack.load(service: service) { (name: String) -> String? in files[name] }
    }

    /// The verdict on `service` in `files`.
    static func report(_ service: String, in files: [String: String]) -> StackRules.Report {
        StackRules.check(stack(service, in: files))
    }

    /// `pam enable` on `service`.
    static func edit(_ service: String, in files: [String: String]) throws(ModuleInsertion.EditError<Never>) -> ModuleInsertion.Edit {
        try ModuleInsertion.edit(service: service) { (name: String) -> String? in files[name] }
    }

    /// Why `pam enable` on `service` refuses, or nil when it edits.
    static func refusal(_ service: String, in files: [String: String]) -> ModuleInsertion.Refusal? {
        do throws(ModuleInsertion.EditError<Never>) {
            _ = try edit(service, in: files)
            return nil
        } catch {
            switch error {
            case .refused(let refusal): return refusal
            case .unreadable(let never): switch never {}
            }
        }
    }
}
