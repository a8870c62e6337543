/* Non-variadic wrappers over libpam for Swift. See cpam.h. */
#include "cpam.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pwd.h>
#include <security/pam_modutil.h>

void s2fa_pam_log(pam_handle_t *pamh, int priority, const char *text)
{
    pam_syslog(pamh, priority, "%s", text != NULL ? text : "");
}

/*
 * One message through the application's conversation function. With answer != NULL the
 * reply is handed over in *answer (malloc'ed); otherwise any reply is released. Whatever
 * the application's function returned on failure (even PAM_IGNORE), the result is
 * PAM_CONV_ERR: a failed conversation never lets a login through.
 */
static int converse(pam_handle_t *pamh, int style, const char *text, char **answer)
{
    const struct pam_conv *conv = NULL;
    struct pam_message message;
    const struct pam_message *messages[1];
    struct pam_response *responses = NULL;
    int rc;

    rc = pam_get_item(pamh, PAM_CONV, (const void **)&conv);
    if (rc != PAM_SUCCESS || conv == NULL || conv->conv == NULL) {
        return PAM_CONV_ERR;
    }
    message.msg_style = style;
    message.msg = text != NULL ? text : "";
    messages[0] = &message;
    rc = conv->conv(1, messages, &responses, conv->appdata_ptr);
    if (rc != PAM_SUCCESS || answer == NULL || responses == NULL || responses[0].resp == NULL) {
        if (responses != NULL) {
            s2fa_free_secret(responses[0].resp);
            free(responses);
        }
        return rc == PAM_SUCCESS && answer == NULL ? PAM_SUCCESS : PAM_CONV_ERR;
    }
    *answer = responses[0].resp;
    free(responses);
    return PAM_SUCCESS;
}

int s2fa_pam_ask(pam_handle_t *pamh, int style, const char *prompt, char **answer)
{
    if (answer == NULL) {
        return PAM_BUF_ERR;
    }
    *answer = NULL;
    return converse(pamh, style, prompt, answer);
}

int s2fa_pam_tell(pam_handle_t *pamh, int style, const char *text)
{
    if (style != PAM_TEXT_INFO && style != PAM_ERROR_MSG) {
        return PAM_SYSTEM_ERR;
    }
    return converse(pamh, style, text, NULL);
}

void s2fa_free_secret(char *secret)
{
    if (secret != NULL) {
        explicit_bzero(secret, strlen(secret));
        free(secret);
    }
}

const char *s2fa_pam_get_string_item(pam_handle_t *pamh, int item)
{
    const void *value = NULL;
    if (pam_get_item(pamh, item, &value) != PAM_SUCCESS) {
        return NULL;
    }
    return (const char *)value;
}

int s2fa_pam_set_string_item(pam_handle_t *pamh, int item, const char *value)
{
    return pam_set_item(pamh, item, value);
}

int s2fa_pam_get_user(pam_handle_t *pamh, const char **user)
{
    return pam_get_user(pamh, user, NULL);
}

int s2fa_run_as_user(pam_handle_t *pamh, const char *name, unsigned int uid, unsigned int gid,
                     void (*body)(void *context), void *context)
{
    struct passwd account;
    PAM_MODUTIL_DEF_PRIVS(privs);

    if (name == NULL || body == NULL) {
        return S2FA_IDENTITY_NOT_TAKEN;
    }
    memset(&account, 0, sizeof(account));
    account.pw_name = (char *)name;
    account.pw_uid = (uid_t)uid;
    account.pw_gid = (gid_t)gid;
    if (pam_modutil_drop_priv(pamh, &privs, &account) != 0) {
        return S2FA_IDENTITY_NOT_TAKEN;
    }
    body(context);
    if (pam_modutil_regain_priv(pamh, &privs) != 0) {
        return S2FA_IDENTITY_NOT_RESTORED;
    }
    return 0;
}

/* Name of the pam_set_data slot for the code a split_answer instance split off. */
#define S2FA_KEPT_CODE "pam_swift2fa.kept_code"
/* Set with the kept code; cleared once a checking instance has settled it (cpam.h). */
#define S2FA_CODE_UNSETTLED "pam_swift2fa.code_unsettled"

/*
 * The same mark as a PAM environment variable: sshd runs pam_authenticate in a child
 * process and calls pam_setcred on its own handle, which never saw the child's
 * pam_set_data; the PAM environment is what sshd copies back (pam_putenv).
 */
#define S2FA_UNSETTLED_ENV "PAM_SWIFT2FA_CODE_UNSETTLED"

/* Any non-NULL pointer marks the slot; it is never freed or read through. */
static char unsettled_mark;

static void release_kept_code(pam_handle_t *pamh, void *data, int error_status)
{
    (void)pamh;
    (void)error_status;
    s2fa_free_secret(data);
}

int s2fa_keep_code(pam_handle_t *pamh, const char *code)
{
    char *copy;
    int rc;

    if (code == NULL || (copy = strdup(code)) == NULL) {
        return PAM_BUF_ERR;
    }
    rc = pam_set_data(pamh, S2FA_KEPT_CODE, copy, release_kept_code);
    if (rc != PAM_SUCCESS) {
        s2fa_free_secret(copy);
        return rc;
    }
    rc = pam_set_data(pamh, S2FA_CODE_UNSETTLED, &unsettled_mark, NULL);
    if (rc != PAM_SUCCESS) {
        return rc;
    }
    return pam_putenv(pamh, S2FA_UNSETTLED_ENV "=1");
}

int s2fa_settle_kept_code(pam_handle_t *pamh)
{
    /* Removing a variable that is not set is PAM_BAD_ITEM: nothing to settle there. */
    (void)pam_putenv(pamh, S2FA_UNSETTLED_ENV);
    return pam_set_data(pamh, S2FA_CODE_UNSETTLED, NULL, NULL);
}

int s2fa_kept_code_unsettled(pam_handle_t *pamh)
{
    const void *mark = NULL;
    if (pam_get_data(pamh, S2FA_CODE_UNSETTLED, &mark) == PAM_SUCCESS && mark != NULL) {
        return 1;
    }
    return pam_getenv(pamh, S2FA_UNSETTLED_ENV) != NULL;
}

int s2fa_take_kept_code(pam_handle_t *pamh, char **code)
{
    const void *data = NULL;

    if (code == NULL) {
        return PAM_BUF_ERR;
    }
    *code = NULL;
    if (pam_get_data(pamh, S2FA_KEPT_CODE, &data) != PAM_SUCCESS || data == NULL) {
        return PAM_NO_MODULE_DATA;
    }
    if ((*code = strdup((const char *)data)) == NULL) {
        return PAM_BUF_ERR;
    }
    /* Used once: replacing the slot releases (and zeroes) the kept copy. */
    (void)pam_set_data(pamh, S2FA_KEPT_CODE, NULL, NULL);
    return PAM_SUCCESS;
}

/* Name of the pam_set_data slot for the pooler connection a split_answer instance hands on. */
#define S2FA_KEPT_CONNECTION "pam_swift2fa.pooler_connection"

/* Closes a handed-on connection nobody took, when pam_end releases the slot; a replaced
 * slot (taken, or handed on again) leaves the descriptor to its new owner. */
static void release_kept_connection(pam_handle_t *pamh, void *data, int error_status)
{
    (void)pamh;
    if (data == NULL) {
        return;
    }
    if ((error_status & PAM_DATA_REPLACE) == 0) {
        (void)close(*(int *)data);
    }
    free(data);
}

int s2fa_keep_connection(pam_handle_t *pamh, int descriptor)
{
    int *kept;
    int rc;

    if (descriptor < 0 || (kept = malloc(sizeof *kept)) == NULL) {
        return PAM_BUF_ERR;
    }
    *kept = descriptor;
    rc = pam_set_data(pamh, S2FA_KEPT_CONNECTION, kept, release_kept_connection);
    if (rc != PAM_SUCCESS) {
        free(kept);
    }
    return rc;
}

int s2fa_take_kept_connection(pam_handle_t *pamh)
{
    const void *data = NULL;
    int descriptor;

    if (pam_get_data(pamh, S2FA_KEPT_CONNECTION, &data) != PAM_SUCCESS || data == NULL) {
        return -1;
    }
    descriptor = *(const int *)data;
    /* Taken once: replacing the slot frees it and leaves the descriptor open. */
    if (pam_set_data(pamh, S2FA_KEPT_CONNECTION, NULL, NULL) != PAM_SUCCESS) {
        return -1;
    }
    return descriptor;
}
