/*
 * CQRLoader: libqrencode, opened with dlopen on first use, for the module (only when a
 * user enrolls at login) and the command alike (TwoFactorStore's QRCodeEncoder). Neither
 * has a load-time dependency on libqrencode (ldd does not list it); a login that does not
 * enroll never loads it.
 */
#ifndef SWIFT2FA_CQRLOADER_H
#define SWIFT2FA_CQRLOADER_H

/** The soname opened: libqrencode 4.x, as Debian and Ubuntu ship it (libqrencode4). */
#define S2FA_QRENCODE_SONAME "libqrencode.so.4"

/**
 * Encodes text as a QR code (8-bit mode, error correction level M, the same as
 * swift-2fa-setup). On success returns a malloc'ed array of width * width bytes, row
 * by row, 1 for a dark module and 0 for a light one, and sets *width; the caller
 * frees it with free(). Returns NULL when libqrencode cannot be opened or fails.
 */
unsigned char *s2fa_qr_encode(const char *text, int *width);

#endif
