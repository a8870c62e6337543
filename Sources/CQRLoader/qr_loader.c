/* libqrencode through dlopen, for the module's enrollment at login. See cqrloader.h. */
#include "cqrloader.h"

#include <dlfcn.h>
#include <qrencode.h> /* types and constants only: nothing is linked */
#include <stdlib.h>
#include <string.h>

typedef QRcode *(*encode_string_fn)(const char *string, int version, QRecLevel level, QRencodeMode hint, int casesensitive);
typedef void (*free_fn)(QRcode *qrcode);

unsigned char *s2fa_qr_encode(const char *text, int *width)
{
    unsigned char *modules = NULL;
    if (text == NULL || width == NULL) {
        return NULL;
    }
    *width = 0;
    void *library = dlopen(S2FA_QRENCODE_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        return NULL;
    }
    encode_string_fn encode_string = (encode_string_fn)dlsym(library, "QRcode_encodeString");
    free_fn free_code = (free_fn)dlsym(library, "QRcode_free");
    if (encode_string != NULL && free_code != NULL) {
        QRcode *code = encode_string(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
        if (code != NULL) {
            /* A QR code has 21 to 177 modules per side. */
            if (code->width >= 21 && code->width <= 177 && code->data != NULL) {
                size_t count = (size_t)code->width * (size_t)code->width;
                modules = malloc(count);
                if (modules != NULL) {
                    /* libqrencode: bit 0 of each byte is 1 for a dark module. */
                    for (size_t i = 0; i < count; i++) {
                        modules[i] = code->data[i] & 1;
                    }
                    *width = code->width;
                }
            }
            free_code(code);
        }
    }
    dlclose(library);
    return modules;
}
