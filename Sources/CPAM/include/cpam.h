/*
 * CPAM: the libpam side of pam_swift2fa.
 *
 * The exported entry points pam_sm_authenticate and pam_sm_setcred live in
 * pam_entry.c and call into Swift. This header gives Swift non-variadic,
 * easy-to-call wrappers over the libpam calls the module needs.
 */
#ifndef SWIFT2FA_CPAM_H
#define SWIFT2FA_CPAM_H

#include <security/pam_appl.h>
#include <security/pam_modules.h>
#include <security/pam_ext.h>
#include <syslog.h>

/** Logs one line through pam_syslog (facility authpriv). The text is passed as "%s". */
void s2fa_pam_log(pam_handle_t *pamh, int priority, const char *text);

/**
 * Asks one question through the application's conversation function.
 * style is PAM_PROMPT_ECHO_OFF or PAM_PROMPT_ECHO_ON.
 * On PAM_SUCCESS *answer holds a malloc'ed string the caller releases with s2fa_free_secret.
 */
int s2fa_pam_ask(pam_handle_t *pamh, int style, const char *prompt, char **answer);

/** Overwrites a NUL-terminated secret string with zeros and frees it. NULL is allowed. */
void s2fa_free_secret(char *secret);

/** Returns a string item (PAM_USER, PAM_SERVICE, PAM_RHOST, PAM_AUTHTOK...) or NULL. */
const char *s2fa_pam_get_string_item(pam_handle_t *pamh, int item);

/** Sets a string item such as PAM_AUTHTOK. */
int s2fa_pam_set_string_item(pam_handle_t *pamh, int item, const char *value);

/** pam_get_user without a custom prompt. */
int s2fa_pam_get_user(pam_handle_t *pamh, const char **user);

/**
 * Sets the file-system uid and gid of the calling thread (setfsuid/setfsgid) and
 * stores the previous ones in old_uid/old_gid when they are not NULL.
 * Returns 1 when the thread now has exactly uid and gid, 0 otherwise.
 */
int s2fa_set_fs_ids(unsigned int uid, unsigned int gid, unsigned int *old_uid, unsigned int *old_gid);

/**
 * Shows one message that needs no answer through the application's conversation
 * function (pam_tell.c): style is PAM_TEXT_INFO or PAM_ERROR_MSG. Any reply the
 * application returns is freed. Returns the conversation's result.
 */
int s2fa_pam_tell(pam_handle_t *pamh, int style, const char *text);

#endif
