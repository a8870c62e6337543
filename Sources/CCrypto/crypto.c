/* libcrypto calls for swift-2fa. See ccrypto.h. */
#include "ccrypto.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

static const EVP_MD *digest_for(int hash)
{
    switch (hash) {
    case S2FA_SHA1:
        return EVP_sha1();
    case S2FA_SHA256:
        return EVP_sha256();
    case S2FA_SHA512:
        return EVP_sha512();
    default:
        return NULL;
    }
}

static const char *digest_name(int hash)
{
    switch (hash) {
    case S2FA_SHA1: return "SHA1";
    case S2FA_SHA256: return "SHA256";
    case S2FA_SHA512: return "SHA512";
    default: return NULL;
    }
}

/*
 * One HMAC context per hash with its digest already set, made once per process
 * (thread-safe). Each call duplicates it: EVP_MAC_CTX_dup copies the fetched digest,
 * so no provider lookup happens per call, and the template is never modified.
 * (OpenSSL 3's one-shot HMAC() fetches the HMAC and digest implementations from the
 * provider on every call, which costs more than the HMAC itself on short inputs.)
 */
static EVP_MAC_CTX *templates[4];
static pthread_once_t templates_once = PTHREAD_ONCE_INIT;

static void make_templates(void)
{
    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (hmac == NULL) {
        return;
    }
    for (int hash = S2FA_SHA1; hash <= S2FA_SHA512; hash++) {
        EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac);
        OSSL_PARAM params[2];
        params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest_name(hash), 0);
        params[1] = OSSL_PARAM_construct_end();
        if (ctx != NULL && EVP_MAC_CTX_set_params(ctx, params) == 1) {
            templates[hash] = ctx;
        } else {
            EVP_MAC_CTX_free(ctx);
        }
    }
    EVP_MAC_free(hmac); /* the contexts keep their own reference */
}

size_t s2fa_hmac(int hash, const uint8_t *key, size_t key_length,
                 const uint8_t *data, size_t data_length,
                 uint8_t *out, size_t out_capacity)
{
    const EVP_MD *md = digest_for(hash);
    size_t length = 0;
    EVP_MAC_CTX *ctx;

    if (md == NULL || out == NULL || key_length > INT_MAX
        || out_capacity < (size_t)EVP_MD_get_size(md)) {
        return 0;
    }
    pthread_once(&templates_once, make_templates);
    if (templates[hash] == NULL || (ctx = EVP_MAC_CTX_dup(templates[hash])) == NULL) {
        return 0;
    }
    if (EVP_MAC_init(ctx, key_length > 0 ? key : (const uint8_t *)"", key_length, NULL) != 1
        || EVP_MAC_update(ctx, data, data_length) != 1
        || EVP_MAC_final(ctx, out, &length, out_capacity) != 1) {
        length = 0;
    }
    EVP_MAC_CTX_free(ctx);
    return length;
}

int s2fa_equal_constant_time(const uint8_t *a, const uint8_t *b, size_t length)
{
    if (length == 0) {
        return 1;
    }
    if (a == NULL || b == NULL) {
        return 0;
    }
    return CRYPTO_memcmp(a, b, length) == 0;
}

int s2fa_pbkdf2_sha256(const uint8_t *password, size_t password_length,
                       const uint8_t *salt, size_t salt_length,
                       uint32_t iterations, uint8_t *out, size_t out_length)
{
    if (password_length > INT_MAX || salt_length > INT_MAX || out_length > INT_MAX
        || iterations == 0 || iterations > INT_MAX || out == NULL) {
        return 0;
    }
    return PKCS5_PBKDF2_HMAC((const char *)(password_length > 0 ? password : (const uint8_t *)""),
                             (int)password_length,
                             salt_length > 0 ? salt : (const uint8_t *)"", (int)salt_length,
                             (int)iterations, EVP_sha256(), (int)out_length, out) == 1;
}

int s2fa_random_bytes(uint8_t *out, size_t length)
{
    if (length == 0) {
        return 1;
    }
    if (out == NULL || length > INT_MAX) {
        return 0;
    }
    return RAND_bytes(out, (int)length) == 1;
}

void s2fa_cleanse(void *memory, size_t length)
{
    if (memory != NULL && length > 0) {
        OPENSSL_cleanse(memory, length);
    }
}
