/* s2fa_pam_tell: a message without an answer, for the enrollment at login. See cpam.h. */
#include "cpam.h"

#include <stdlib.h>

int s2fa_pam_tell(pam_handle_t *pamh, int style, const char *text)
{
    const struct pam_conv *conv = NULL;
    struct pam_message message;
    const struct pam_message *messages[1];
    struct pam_response *responses = NULL;
    int rc;

    if (style != PAM_TEXT_INFO && style != PAM_ERROR_MSG) {
        return PAM_SYSTEM_ERR;
    }
    rc = pam_get_item(pamh, PAM_CONV, (const void **)&conv);
    if (rc != PAM_SUCCESS) {
        return rc;
    }
    if (conv == NULL || conv->conv == NULL) {
        return PAM_CONV_ERR;
    }
    message.msg_style = style;
    message.msg = text != NULL ? text : "";
    messages[0] = &message;
    rc = conv->conv(1, messages, &responses, conv->appdata_ptr);
    if (responses != NULL) {
        s2fa_free_secret(responses[0].resp);
        free(responses);
    }
    return rc;
}
