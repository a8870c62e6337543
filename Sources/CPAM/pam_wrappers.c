/* Non-variadic wrappers over libpam for Swift. See cpam.h. */
#include "cpam.h"

#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>

void s2fa_pam_log(pam_handle_t *pamh, int priority, const char *text)
{
    pam_syslog(pamh, priority, "%s", text != NULL ? text : "");
}

int s2fa_pam_ask(pam_handle_t *pamh, int style, const char *prompt, char **answer)
{
    const struct pam_conv *conv = NULL;
    struct pam_message message;
    const struct pam_message *messages[1];
    struct pam_response *responses = NULL;
    int rc;

    if (answer == NULL) {
        return PAM_BUF_ERR;
    }
    *answer = NULL;
    rc = pam_get_item(pamh, PAM_CONV, (const void **)&conv);
    if (rc != PAM_SUCCESS) {
        return rc;
    }
    if (conv == NULL || conv->conv == NULL) {
        return PAM_CONV_ERR;
    }
    message.msg_style = style;
    message.msg = prompt;
    messages[0] = &message;
    rc = conv->conv(1, messages, &responses, conv->appdata_ptr);
    if (rc != PAM_SUCCESS) {
        if (responses != NULL) {
            s2fa_free_secret(responses[0].resp);
            free(responses);
        }
        return rc;
    }
    if (responses == NULL || responses[0].resp == NULL) {
        free(responses);
        return PAM_CONV_ERR;
    }
    *answer = responses[0].resp;
    free(responses);
    return PAM_SUCCESS;
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

int s2fa_set_fs_ids(unsigned int uid, unsigned int gid, unsigned int *old_uid, unsigned int *old_gid)
{
    /* setfsgid/setfsuid return the previous id; asking again with -1 tells whether the change took. */
    int previous_gid = setfsgid((gid_t)gid);
    int previous_uid = setfsuid((uid_t)uid);
    if (old_uid != NULL) {
        *old_uid = (unsigned int)previous_uid;
    }
    if (old_gid != NULL) {
        *old_gid = (unsigned int)previous_gid;
    }
    return (unsigned int)setfsuid((uid_t)-1) == uid && (unsigned int)setfsgid((gid_t)-1) == gid;
}
