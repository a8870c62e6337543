/*
 * hmac-raw: the practical limit for the core benchmark. HMAC-SHA1 of an 8-byte
 * counter under a 20-byte key, then RFC 4226 dynamic truncation, with GNU Nettle
 * (what Sources/CCrypto/crypto.c calls) and with libcrypto, called directly:
 *   nettle   hmac_sha1_set_key, _update, _digest on a stack context
 *   oneshot  HMAC()
 *   evp_mac  EVP_MAC fetched once, a context initialised with the key per call
 *   hmac_ctx one HMAC_CTX reused, HMAC_Init_ex with the key per call
 *   evp_dup  a context with the digest set made once; per call EVP_MAC_CTX_dup,
 *            EVP_MAC_init with the key only (no provider lookup per call)
 * Every call re-keys, as a login does. Prints "RAW <variant> <ns per HMAC+truncate>".
 * Built by Benchmarks/run.sh: cc -O2 -o hmac-raw hmac_raw.c -lnettle -lcrypto
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <nettle/hmac.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

static const unsigned char key[20] = "12345678901234567890";
static volatile uint32_t sink;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t truncate_mac(const unsigned char *mac, size_t length)
{
    int offset = mac[length - 1] & 0x0f;
    return ((uint32_t)(mac[offset] & 0x7f) << 24) | ((uint32_t)mac[offset + 1] << 16)
        | ((uint32_t)mac[offset + 2] << 8) | (uint32_t)mac[offset + 3];
}

static void counter_bytes(uint64_t counter, unsigned char out[8])
{
    for (int i = 7; i >= 0; i--) {
        out[i] = (unsigned char)(counter & 0xff);
        counter >>= 8;
    }
}

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : 200000;
    unsigned char message[8], mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    double start;

    start = now();
    for (long i = 0; i < iterations; i++) {
        struct hmac_sha1_ctx nctx;
        counter_bytes((uint64_t)i, message);
        hmac_sha1_set_key(&nctx, sizeof key, key);
        hmac_sha1_update(&nctx, sizeof message, message);
        hmac_sha1_digest(&nctx, SHA1_DIGEST_SIZE, mac);
        sink += truncate_mac(mac, SHA1_DIGEST_SIZE);
    }
    printf("RAW nettle %.1f\n", (now() - start) / (double)iterations * 1e9);

    start = now();
    for (long i = 0; i < iterations; i++) {
        counter_bytes((uint64_t)i, message);
        HMAC(EVP_sha1(), key, sizeof key, message, sizeof message, mac, &length);
        sink += truncate_mac(mac, length);
    }
    printf("RAW oneshot %.1f\n", (now() - start) / (double)iterations * 1e9);

    EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA1", 0), OSSL_PARAM_END };
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(hmac);
    start = now();
    for (long i = 0; i < iterations; i++) {
        size_t out_length = 0;
        counter_bytes((uint64_t)i, message);
        EVP_MAC_init(ctx, key, sizeof key, params);
        EVP_MAC_update(ctx, message, sizeof message);
        EVP_MAC_final(ctx, mac, &out_length, sizeof mac);
        sink += truncate_mac(mac, out_length);
    }
    printf("RAW evp_mac %.1f\n", (now() - start) / (double)iterations * 1e9);
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(hmac);

    HMAC_CTX *hctx = HMAC_CTX_new();
    const EVP_MD *sha1 = EVP_sha1();
    start = now();
    for (long i = 0; i < iterations; i++) {
        counter_bytes((uint64_t)i, message);
        HMAC_Init_ex(hctx, key, sizeof key, sha1, NULL);
        HMAC_Update(hctx, message, sizeof message);
        HMAC_Final(hctx, mac, &length);
        sink += truncate_mac(mac, length);
    }
    printf("RAW hmac_ctx %.1f\n", (now() - start) / (double)iterations * 1e9);
    HMAC_CTX_free(hctx);

    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *template = EVP_MAC_CTX_new(hmac);
    EVP_MAC_CTX_set_params(template, params);
    start = now();
    for (long i = 0; i < iterations; i++) {
        size_t out_length = 0;
        counter_bytes((uint64_t)i, message);
        EVP_MAC_CTX *c = EVP_MAC_CTX_dup(template);
        EVP_MAC_init(c, key, sizeof key, NULL);
        EVP_MAC_update(c, message, sizeof message);
        EVP_MAC_final(c, mac, &out_length, sizeof mac);
        EVP_MAC_CTX_free(c);
        sink += truncate_mac(mac, out_length);
    }
    printf("RAW evp_dup %.1f\n", (now() - start) / (double)iterations * 1e9);
    EVP_MAC_CTX_free(template);
    EVP_MAC_free(hmac);
    return 0;
}
