import CPAM

/// The run-time guard of `split_answer`: a split instance keeps the code for a later
/// `use_first_pass` (or `try_first_pass`) instance and returns PAM_IGNORE. If no such
/// instance follows, or none is reached, the password alone would pass. So the split
/// marks its code unsettled, a checking instance settles it (`Authenticator`), and
/// `pam_sm_setcred` refuses while it is still unsettled, with one log line. The mark is
/// kept both as PAM data and in the PAM environment (`PAM_SWIFT2FA_CODE_UNSETTLED`):
/// sshd runs pam_authenticate in a child process and copies back only the PAM
/// environment to the handle it later calls pam_setcred on (auth-pam.c).
///
/// Why PAM_INCOMPLETE: libpam runs the setcred stack with the control actions that the
/// results of pam_authenticate chose (the "frozen chain", pam_dispatch.c), so the setcred
/// result of an instance whose authenticate returned PAM_IGNORE is ignored, whatever it
/// is. PAM_INCOMPLETE is the one result libpam hands to the application before it looks
/// at the control flags: pam_setcred then fails in sshd (which ends the connection),
/// su and login. An application that never calls pam_setcred is not guarded.
/// PAM_DELETE_CRED grants nothing and is let through, so the clean-up after a refused
/// login still works.
struct KeptCodeGuard {
    let handle: OpaquePointer

    func setcred(flags: Int32) -> Int32 {
        guard s2fa_kept_code_unsettled(handle) != 0, UInt32(bitPattern: flags) & PAM_DELETE_CRED == 0 else { return PAM_SUCCESS }
        let conversation = Conversation(handle: handle)
        var attempt = AttemptLog(handle: handle, service: conversation.item(PAM_SERVICE) ?? "",
                                 rhost: conversation.item(PAM_RHOST) ?? "")
        attempt.user = conversation.item(PAM_USER) ?? ""
        return attempt.finish(
            "code-unchecked",
            reason: "a split_answer instance kept a code that no later use_first_pass or try_first_pass instance checked; "
                + "pam_setcred refused",
            code: PAM_INCOMPLETE)
    }
}
