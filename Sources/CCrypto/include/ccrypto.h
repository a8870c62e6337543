/*
 * CCrypto: the few crypto calls swift-2fa needs, on GNU Nettle (libnettle8), plus
 * getrandom(2). No hash is implemented here; everything goes to the system's Nettle.
 */
#ifndef SWIFT2FA_CCRYPTO_H
#define SWIFT2FA_CCRYPTO_H

#include <stddef.h>
#include <stdint.h>

/** Hash functions for HMAC, as numbered by swift-2fa. */
enum s2fa_hash {
    S2FA_SHA1 = 1,
    S2FA_SHA256 = 2,
    S2FA_SHA512 = 3,
};

/** Largest MAC any s2fa_hash produces (SHA-512). */
#define S2FA_MAX_MAC_LENGTH 64

/**
 * HMAC of data under key. Writes the MAC to out (capacity out_capacity, at least
 * S2FA_MAX_MAC_LENGTH is always enough) and returns its length, or 0 on failure.
 */
size_t s2fa_hmac(int hash, const uint8_t *key, size_t key_length,
                 const uint8_t *data, size_t data_length,
                 uint8_t *out, size_t out_capacity);

/**
 * RFC 4226 dynamic truncation (a 31-bit number) of HMAC(key, counter) for `count`
 * consecutive counters from `first_counter` (wrapping past 2^64 - 1), into values[0..count):
 * the key is set up once for all of them. Returns the number written: count, or 0 for an
 * unknown hash.
 */
size_t s2fa_hotp_values(int hash, const uint8_t *key, size_t key_length,
                        uint64_t first_counter, size_t count, uint32_t *values);

/** SHA-256 of data into out (32 bytes): the state file's slot checksum. */
void s2fa_sha256(const uint8_t *data, size_t length, uint8_t *out);

/** 1 when the two buffers are equal, compared in constant time (Nettle's memeql_sec); else 0. */
int s2fa_equal_constant_time(const uint8_t *a, const uint8_t *b, size_t length);

/** PBKDF2-HMAC-SHA256. Returns 1 on success, 0 on failure. */
int s2fa_pbkdf2_sha256(const uint8_t *password, size_t password_length,
                       const uint8_t *salt, size_t salt_length,
                       uint32_t iterations, uint8_t *out, size_t out_length);

/**
 * PBKDF2 with HMAC of the s2fa_hash `hash` (PSKC's PBKDF2-encrypted files name SHA-1, SHA-256
 * or SHA-512). Returns 1 on success, 0 for an unknown hash, no iterations or no output.
 */
int s2fa_pbkdf2(int hash, const uint8_t *password, size_t password_length,
                const uint8_t *salt, size_t salt_length,
                uint32_t iterations, uint8_t *out, size_t out_length);

/**
 * AES-CBC decryption of `length` bytes (a positive multiple of 16) from in to out (the same
 * size; padding is the caller's), under a 16-, 24- or 32-byte key and a 16-byte IV.
 * Returns 1 on success, 0 for a bad key size or length.
 */
int s2fa_aes_cbc_decrypt(const uint8_t *key, size_t key_length, const uint8_t *iv,
                         const uint8_t *in, size_t length, uint8_t *out);

/**
 * AES key unwrap (PSKC's kw-aes128/192/256) of `length` bytes (a multiple of 8, at least 16)
 * under a 16-, 24- or 32-byte key: RFC 3394 (the default IV) or RFC 5649 (the IV with the
 * length, zero padding). Writes at most length - 8 bytes to out and returns the plaintext
 * length, or 0 when the key size, the length or the integrity check is wrong.
 */
size_t s2fa_aes_key_unwrap(const uint8_t *key, size_t key_length,
                           const uint8_t *in, size_t length, uint8_t *out);

/** Fills out with bytes from the kernel CSPRNG (getrandom(2)). Returns 1 on success, 0 on failure. */
int s2fa_random_bytes(uint8_t *out, size_t length);

#endif
