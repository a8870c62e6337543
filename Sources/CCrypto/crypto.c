/* GNU Nettle calls for swift-2fa, and getrandom(2). See ccrypto.h. */
#include "ccrypto.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <nettle/aes.h>
#include <nettle/cbc.h>
#include <nettle/hmac.h>
#include <nettle/memops.h>
#include <nettle/nist-keywrap.h>
#include <nettle/pbkdf2.h>
#include <nettle/sha2.h>

/* Nettle copies key and data with memcpy, which must not get NULL even for length 0. */
static const uint8_t *nonnull(const uint8_t *bytes)
{
    return bytes != NULL ? bytes : (const uint8_t *)"";
}

size_t s2fa_hmac(int hash, const uint8_t *key, size_t key_length,
                 const uint8_t *data, size_t data_length,
                 uint8_t *out, size_t out_capacity)
{
    /* The contexts hold the key's inner and outer pads: wiped before returning. */
    switch (hash) {
    case S2FA_SHA1: {
        struct hmac_sha1_ctx ctx;
        if (out == NULL || out_capacity < SHA1_DIGEST_SIZE) {
            return 0;
        }
        hmac_sha1_set_key(&ctx, key_length, nonnull(key));
        hmac_sha1_update(&ctx, data_length, nonnull(data));
        hmac_sha1_digest(&ctx, SHA1_DIGEST_SIZE, out);
        explicit_bzero(&ctx, sizeof ctx);
        return SHA1_DIGEST_SIZE;
    }
    case S2FA_SHA256: {
        struct hmac_sha256_ctx ctx;
        if (out == NULL || out_capacity < SHA256_DIGEST_SIZE) {
            return 0;
        }
        hmac_sha256_set_key(&ctx, key_length, nonnull(key));
        hmac_sha256_update(&ctx, data_length, nonnull(data));
        hmac_sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
        explicit_bzero(&ctx, sizeof ctx);
        return SHA256_DIGEST_SIZE;
    }
    case S2FA_SHA512: {
        struct hmac_sha512_ctx ctx;
        if (out == NULL || out_capacity < SHA512_DIGEST_SIZE) {
            return 0;
        }
        hmac_sha512_set_key(&ctx, key_length, nonnull(key));
        hmac_sha512_update(&ctx, data_length, nonnull(data));
        hmac_sha512_digest(&ctx, SHA512_DIGEST_SIZE, out);
        explicit_bzero(&ctx, sizeof ctx);
        return SHA512_DIGEST_SIZE;
    }
    default:
        return 0;
    }
}

/* Dynamic truncation (RFC 4226 section 5.3) of one MAC of `length` bytes. */
static uint32_t truncated(const uint8_t *mac, size_t length)
{
    size_t offset = mac[length - 1] & 0x0F;
    return ((uint32_t)(mac[offset] & 0x7F) << 24) | ((uint32_t)mac[offset + 1] << 16)
        | ((uint32_t)mac[offset + 2] << 8) | (uint32_t)mac[offset + 3];
}

/* The counter as 8 big-endian bytes. */
static void big_endian(uint64_t counter, uint8_t bytes[8])
{
    for (int i = 7; i >= 0; i--) {
        bytes[i] = (uint8_t)(counter & 0xFF);
        counter >>= 8;
    }
}

/* One loop per hash: Nettle's digest leaves the context ready for the next message under
 * the same key, so the key's pads are computed once. */
#define HOTP_VALUES(kind, size)                                                     \
    do {                                                                            \
        struct hmac_##kind##_ctx ctx;                                               \
        uint8_t mac[size];                                                          \
        uint8_t message[8];                                                         \
        hmac_##kind##_set_key(&ctx, key_length, nonnull(key));                      \
        for (size_t i = 0; i < count; i++) {                                        \
            big_endian(first_counter + (uint64_t)i, message);                       \
            hmac_##kind##_update(&ctx, sizeof message, message);                    \
            hmac_##kind##_digest(&ctx, size, mac);                                  \
            values[i] = truncated(mac, size);                                       \
        }                                                                           \
        explicit_bzero(&ctx, sizeof ctx);                                           \
        explicit_bzero(mac, sizeof mac);                                            \
    } while (0)

size_t s2fa_hotp_values(int hash, const uint8_t *key, size_t key_length,
                        uint64_t first_counter, size_t count, uint32_t *values)
{
    if (values == NULL && count > 0) {
        return 0;
    }
    switch (hash) {
    case S2FA_SHA1:
        HOTP_VALUES(sha1, SHA1_DIGEST_SIZE);
        return count;
    case S2FA_SHA256:
        HOTP_VALUES(sha256, SHA256_DIGEST_SIZE);
        return count;
    case S2FA_SHA512:
        HOTP_VALUES(sha512, SHA512_DIGEST_SIZE);
        return count;
    default:
        return 0;
    }
}

void s2fa_sha256(const uint8_t *data, size_t length, uint8_t *out)
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, length, nonnull(data));
    sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

int s2fa_equal_constant_time(const uint8_t *a, const uint8_t *b, size_t length)
{
    if (length == 0) {
        return 1;
    }
    if (a == NULL || b == NULL) {
        return 0;
    }
    return memeql_sec(a, b, length) != 0;
}

int s2fa_pbkdf2_sha256(const uint8_t *password, size_t password_length,
                       const uint8_t *salt, size_t salt_length,
                       uint32_t iterations, uint8_t *out, size_t out_length)
{
    return s2fa_pbkdf2(S2FA_SHA256, password, password_length, salt, salt_length, iterations, out, out_length);
}

int s2fa_pbkdf2(int hash, const uint8_t *password, size_t password_length,
                const uint8_t *salt, size_t salt_length,
                uint32_t iterations, uint8_t *out, size_t out_length)
{
    /* Nettle asserts iterations > 0; an empty output is refused like a failure. */
    if (iterations == 0 || out == NULL || out_length == 0) {
        return 0;
    }
    switch (hash) {
    case S2FA_SHA1:
        pbkdf2_hmac_sha1(password_length, nonnull(password), iterations,
                         salt_length, nonnull(salt), out_length, out);
        return 1;
    case S2FA_SHA256:
        pbkdf2_hmac_sha256(password_length, nonnull(password), iterations,
                           salt_length, nonnull(salt), out_length, out);
        return 1;
    case S2FA_SHA512:
        pbkdf2_hmac_sha512(password_length, nonnull(password), iterations,
                           salt_length, nonnull(salt), out_length, out);
        return 1;
    default:
        return 0;
    }
}

/* The decryption key schedule of AES-128, -192 or -256, whichever the key's length names. */
union aes_decryption_key {
    struct aes128_ctx aes128;
    struct aes192_ctx aes192;
    struct aes256_ctx aes256;
};

/* Sets up ctx for decryption with key; returns the block decryption function, or NULL for a
   key length that is not 16, 24 or 32 bytes. */
static nettle_cipher_func *aes_decryption(union aes_decryption_key *ctx, const uint8_t *key, size_t key_length)
{
    switch (key_length) {
    case AES128_KEY_SIZE:
        aes128_set_decrypt_key(&ctx->aes128, key);
        return (nettle_cipher_func *)aes128_decrypt;
    case AES192_KEY_SIZE:
        aes192_set_decrypt_key(&ctx->aes192, key);
        return (nettle_cipher_func *)aes192_decrypt;
    case AES256_KEY_SIZE:
        aes256_set_decrypt_key(&ctx->aes256, key);
        return (nettle_cipher_func *)aes256_decrypt;
    default:
        return NULL;
    }
}

int s2fa_aes_cbc_decrypt(const uint8_t *key, size_t key_length, const uint8_t *iv,
                         const uint8_t *in, size_t length, uint8_t *out)
{
    /* The key schedule is wiped before returning; cbc_decrypt moves the IV copy along. */
    union aes_decryption_key ctx;
    nettle_cipher_func *decrypt;
    uint8_t chain[AES_BLOCK_SIZE];
    if (key == NULL || iv == NULL || in == NULL || out == NULL || length == 0 || length % AES_BLOCK_SIZE != 0) {
        return 0;
    }
    decrypt = aes_decryption(&ctx, key, key_length);
    if (decrypt == NULL) {
        return 0;
    }
    memcpy(chain, iv, sizeof chain);
    cbc_decrypt(&ctx, decrypt, AES_BLOCK_SIZE, chain, length, out, in);
    explicit_bzero(&ctx, sizeof ctx);
    return 1;
}

/* RFC 5649's check of an unwrapped value: the message length (MLI) fits the n 64-bit blocks
   and the padding after it is zero. */
static int padding_is_zero(const uint8_t *plain, size_t mli, size_t blocks)
{
    size_t index;
    if (mli > blocks * 8 || mli + 8 <= blocks * 8 || mli == 0) {
        return 0;
    }
    for (index = mli; index < blocks * 8; index++) {
        if (plain[index] != 0) {
            return 0;
        }
    }
    return 1;
}

size_t s2fa_aes_key_unwrap(const uint8_t *key, size_t key_length,
                           const uint8_t *in, size_t length, uint8_t *out)
{
    static const uint8_t rfc3394_iv[8] = { 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6 };
    union aes_decryption_key ctx;
    nettle_cipher_func *decrypt;
    size_t blocks, mli, result = 0;
    uint8_t iv[8] = { 0xA6, 0x59, 0x59, 0xA6, 0, 0, 0, 0 };
    if (key == NULL || in == NULL || out == NULL || length < 16 || length % 8 != 0) {
        return 0;
    }
    decrypt = aes_decryption(&ctx, key, key_length);
    if (decrypt == NULL) {
        return 0;
    }
    blocks = length / 8 - 1;
    if (blocks == 1) {
        /* RFC 5649 section 4.2: one block, a single AES decryption of IV || P. */
        uint8_t block[AES_BLOCK_SIZE];
        decrypt(&ctx, AES_BLOCK_SIZE, block, in);
        mli = (size_t)block[4] << 24 | (size_t)block[5] << 16 | (size_t)block[6] << 8 | block[7];
        if (memeql_sec(block, iv, 4) && padding_is_zero(block + 8, mli, 1)) {
            memcpy(out, block + 8, 8);
            result = mli;
        }
        explicit_bzero(block, sizeof block);
    } else if (nist_keyunwrap16(&ctx, decrypt, rfc3394_iv, length - 8, out, in)) {
        result = length - 8;
    } else {
        /* RFC 5649: the IV holds the length, one of the 8 that fit the blocks; try each. */
        for (mli = blocks * 8 - 7; mli <= blocks * 8 && result == 0; mli++) {
            iv[4] = (uint8_t)(mli >> 24);
            iv[5] = (uint8_t)(mli >> 16);
            iv[6] = (uint8_t)(mli >> 8);
            iv[7] = (uint8_t)mli;
            if (nist_keyunwrap16(&ctx, decrypt, iv, length - 8, out, in) && padding_is_zero(out, mli, blocks)) {
                result = mli;
            }
        }
    }
    explicit_bzero(&ctx, sizeof ctx);
    return result;
}

int s2fa_random_bytes(uint8_t *out, size_t length)
{
    if (length == 0) {
        return 1;
    }
    if (out == NULL) {
        return 0;
    }
    /* getrandom may return fewer bytes than asked (over 256 bytes, or on a signal). */
    while (length > 0) {
        ssize_t got = getrandom(out, length, 0);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            return 0;
        }
        out += got;
        length -= (size_t)got;
    }
    return 1;
}
