/*
 * bench-login: one PAM login per process, for the cold benchmark (exec, pam_start,
 * pam_authenticate with the given code, pam_end). Links only libpam, so a module
 * that needs libcrypto pays for loading it, as it would in a fresh process.
 *
 *   bench-login SERVICE USER CODE
 *
 * Prints "RESULT <rc> RSS_KB <VmRSS after pam_authenticate> PAM_US <pam_start to
 * pam_end, microseconds> PRIVATE_DIRTY_KB <Private_Dirty of the process after pam_end>";
 * exit 0 on PAM_SUCCESS. (After pam_end the module, linked -z nodelete, stays mapped:
 * its private dirty pages are what each login process keeps paying.)
 * Built by Benchmarks/run.sh: cc -O2 -o bench-login login.c -lpam
 *
 * Built with -DWITH_LIBCRYPTO (and -lcrypto) as bench-login-libcrypto, it first loads
 * and initialises libcrypto and computes one HMAC-SHA1, like a host that already uses
 * OpenSSL (sshd, cockpit-ws), so a module that uses libcrypto finds it ready.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <time.h>

#include <security/pam_appl.h>
#ifdef WITH_LIBCRYPTO
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#endif

#include "rss.h"

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int conversation(int count, const struct pam_message **messages,
                        struct pam_response **responses, void *data)
{
    struct pam_response *reply = calloc((size_t)count, sizeof(*reply));
    if (reply == NULL) {
        return PAM_BUF_ERR;
    }
    for (int i = 0; i < count; i++) {
        if (messages[i]->msg_style == PAM_PROMPT_ECHO_OFF || messages[i]->msg_style == PAM_PROMPT_ECHO_ON) {
            reply[i].resp = strdup((const char *)data);
        }
    }
    *responses = reply;
    return PAM_SUCCESS;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench-login SERVICE USER CODE\n");
        return 2;
    }
#ifdef WITH_LIBCRYPTO
    {
        unsigned char key[20] = { 1 }, msg[8] = { 2 }, out[EVP_MAX_MD_SIZE];
        unsigned int outlen = 0;
        OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL);
        if (HMAC(EVP_sha1(), key, sizeof key, msg, sizeof msg, out, &outlen) == NULL) {
            return 2;
        }
    }
#endif
    struct pam_conv conv = { conversation, argv[3] };
    double began = now_us();
    pam_handle_t *pamh = NULL;
    int rc = pam_start(argv[1], argv[2], &conv, &pamh);
    long rss = -1;
    if (rc == PAM_SUCCESS) {
        rc = pam_authenticate(pamh, 0);
        rss = rss_kb();
        pam_end(pamh, rc);
    }
    double pam_us = now_us() - began;
    long dirty = private_dirty_kb();
    printf("RESULT %d RSS_KB %ld PAM_US %.1f PRIVATE_DIRTY_KB %ld\n", rc, rss, pam_us, dirty);
    return rc == PAM_SUCCESS ? 0 : 1;
}
