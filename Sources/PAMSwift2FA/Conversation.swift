import CPAM

/// Talking to the user through the application's PAM conversation function.
struct Conversation {
    let handle: OpaquePointer

    /// Asks one question. The answer, or the PAM error code of a failed conversation.
    func ask(_ prompt: String, echo: Bool) -> Result<String, PAMCode> {
        var answer: UnsafeMutablePointer<CChar>?
        let rc = s2fa_pam_ask(handle, echo ? PAM_PROMPT_ECHO_ON : PAM_PROMPT_ECHO_OFF, prompt, &answer)
        defer { s2fa_free_secret(answer) }
        guard rc == PAM_SUCCESS, let answer else {
            return .failure(PAMCode(rc == PAM_SUCCESS ? PAM_CONV_ERR : rc))
        }
        return .success(String(cString: answer))
    }

    /// A string item such as PAM_SERVICE, PAM_RHOST or PAM_AUTHTOK.
    func item(_ item: Int32) -> String? {
        guard let value = s2fa_pam_get_string_item(handle, item) else { return nil }
        return String(cString: value)
    }

    /// Sets a string item such as PAM_AUTHTOK.
    func setItem(_ item: Int32, to value: String) -> Bool {
        s2fa_pam_set_string_item(handle, item, value) == PAM_SUCCESS
    }

    /// The user being authenticated.
    func user() -> String? {
        var user: UnsafePointer<CChar>?
        guard s2fa_pam_get_user(handle, &user) == PAM_SUCCESS, let user else { return nil }
        return String(cString: user)
    }
}

/// A PAM return code.
struct PAMCode: Error, Equatable {
    let value: Int32
    init(_ value: Int32) { self.value = value }
}
