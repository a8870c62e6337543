/*
 * The exported PAM entry points of pam_swift2fa.so. They are the only symbols
 * the module exports (see Sources/PAMSwift2FA/pam_swift2fa.map) and they hand
 * everything to Swift.
 */
#include "cpam.h"

#include <stddef.h>

/* Implemented in Swift (Sources/PAMSwift2FA/EntryPoints.swift). */
extern int swift2fa_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv);
extern int swift2fa_setcred(pam_handle_t *pamh, int flags);

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    if (pamh == NULL || argc < 0 || (argc > 0 && argv == NULL)) {
        return PAM_SERVICE_ERR;
    }
    return swift2fa_authenticate(pamh, flags, argc, argv);
}

/* The module sets no credentials; it refuses only an unchecked split_answer code (KeptCodeGuard.swift). */
PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
    (void)argc;
    (void)argv;
    if (pamh == NULL) {
        return PAM_SERVICE_ERR;
    }
    return swift2fa_setcred(pamh, flags);
}
