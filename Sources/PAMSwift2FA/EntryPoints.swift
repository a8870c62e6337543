import CPAM

/// Called by `pam_sm_authenticate` in the C shim (Sources/CPAM/pam_entry.c).
/// Converts the arguments and runs one authentication; never traps.
@_cdecl("swift2fa_authenticate")
public func swift2faAuthenticate(
    _ handle: OpaquePointer?, _ flags: Int32, _ argc: Int32,
    _ argv: UnsafePointer<UnsafePointer<CChar>?>?
) -> Int32 {
    guard let handle else { return PAM_SERVICE_ERR }
    var arguments: [String] = []
    if let argv, argc > 0 {
        for index in 0..<Int(argc) {
            guard let argument = argv[index] else { return PAM_SERVICE_ERR }
            arguments.append(String(cString: argument))
        }
    }
    return Authenticator(handle: handle).authenticate(arguments: arguments)
}

/// Called by `pam_sm_setcred` in the C shim: refuses while a `split_answer` code went
/// unchecked (`KeptCodeGuard`); the module sets no credentials of its own.
@_cdecl("swift2fa_setcred")
public func swift2faSetcred(_ handle: OpaquePointer?, _ flags: Int32) -> Int32 {
    guard let handle else { return PAM_SERVICE_ERR }
    return KeptCodeGuard(handle: handle).setcred(flags: flags)
}
