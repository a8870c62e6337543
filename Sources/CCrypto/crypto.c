/* libcrypto calls for swift-2fa. See ccrypto.h. */
#include "ccrypto.h"

#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
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

size_t s2fa_hmac(int hash, const uint8_t *key, size_t key_length,
                 const uint8_t *data, size_t data_length,
                 uint8_t *out, size_t out_capacity)
{
    const EVP_MD *md = digest_for(hash);
    unsigned int length = 0;

    if (md == NULL || out == NULL || key_length > INT_MAX
        || out_capacity < (size_t)EVP_MD_get_size(md)) {
        return 0;
    }
    if (HMAC(md, key_length > 0 ? key : (const uint8_t *)"", (int)key_length,
             data, data_length, out, &length) == NULL) {
        return 0;
    }
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
