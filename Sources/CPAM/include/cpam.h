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

/** s2fa_run_as_user results other than 0. */
enum {
    S2FA_IDENTITY_NOT_TAKEN = 1,
    S2FA_IDENTITY_NOT_RESTORED = 2,
};

/**
 * Runs body(context) with the file-system identity of the user (uid, gid and the user's
 * supplementary groups) through libpam's pam_modutil_drop_priv, then regains the
 * module's own with pam_modutil_regain_priv. When the process is not root, or the user
 * is root, nothing is switched. Returns 0, S2FA_IDENTITY_NOT_TAKEN (body did not run) or
 * S2FA_IDENTITY_NOT_RESTORED (body ran, but the old identity could not be restored).
 */
int s2fa_run_as_user(pam_handle_t *pamh, const char *name, unsigned int uid, unsigned int gid,
                     void (*body)(void *context), void *context);

/**
 * Keeps a copy of the code a split_answer instance split off, for a later instance of
 * the module in the same stack (pam_set_data; zeroed when released).
 */
int s2fa_keep_code(pam_handle_t *pamh, const char *code);

/**
 * A split_answer instance that keeps a code also marks it unsettled; a later use_first_pass
 * or try_first_pass instance settles it when it decides the attempt without a refusal (the
 * code accepted, or an unenrolled user let through under nullok). pam_sm_setcred refuses
 * while a code is unsettled: then no instance after the split ever decided on the code.
 * The mark is PAM data and the PAM environment variable PAM_SWIFT2FA_CODE_UNSETTLED (what
 * sshd copies from its authentication child to the handle that calls pam_setcred).
 */
int s2fa_settle_kept_code(pam_handle_t *pamh);

/** 1 when a split_answer instance kept a code that no later instance settled, else 0. */
int s2fa_kept_code_unsettled(pam_handle_t *pamh);

/**
 * Takes the kept code out of the handle (it can be taken once). On PAM_SUCCESS *code is a
 * malloc'ed copy the caller releases with s2fa_free_secret; PAM_NO_MODULE_DATA when none.
 */
int s2fa_take_kept_code(pam_handle_t *pamh, char **code);

/**
 * Hands the idle pooler connection `descriptor` of a split_answer instance on to the later
 * instance that verifies the kept code, so that a login opens one connection (pam_set_data).
 * Whoever takes it owns it; pam_end closes it when nobody did. PAM_BUF_ERR or pam_set_data's
 * error when it could not be kept (the caller then closes it).
 */
int s2fa_keep_connection(pam_handle_t *pamh, int descriptor);

/** Takes the handed-on pooler connection (once): its descriptor, or -1 when there is none. */
int s2fa_take_kept_connection(pam_handle_t *pamh);

/**
 * Shows one message that needs no answer through the application's conversation
 * function: style is PAM_TEXT_INFO or PAM_ERROR_MSG. Any reply the application returns
 * is freed. Returns PAM_SUCCESS, or PAM_CONV_ERR whatever the conversation failed with.
 */
int s2fa_pam_tell(pam_handle_t *pamh, int style, const char *text);

#endif
