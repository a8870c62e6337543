import CPAM

extension Conversation {
    /// Shows `text` as PAM_TEXT_INFO (or PAM_ERROR_MSG with `error`). True when the
    /// application took it; anything else is a failed conversation.
    func tell(_ text: String, error: Bool = false) -> Bool {
        s2fa_pam_tell(handle, error ? PAM_ERROR_MSG : PAM_TEXT_INFO, text) == PAM_SUCCESS
    }
}
