/*
 * The C library as the Embedded build of the module sees it (packaging/embedded/build.sh).
 *
 * Embedded Swift has no Glibc overlay: this header, imported as the clang module
 * EmbeddedLibc, declares the libc headers the module's Swift code uses, and Glibc.swift
 * beside it re-exports them under the name Glibc, so that `import Glibc` in the sources
 * builds both ways. The full build never sees this folder.
 */
#ifndef SWIFT2FA_EMBEDDED_LIBC_H
#define SWIFT2FA_EMBEDDED_LIBC_H

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* errno is a macro over a function call, which Swift cannot import. */
static inline int s2fa_errno(void) { return errno; }
static inline void s2fa_set_errno(int value) { errno = value; }

/* open and openat are variadic, which Swift cannot call: the mode is always passed here. */
static inline int s2fa_open(const char *path, int flags, mode_t mode) { return open(path, flags, mode); }
static inline int s2fa_openat(int directory, const char *path, int flags, mode_t mode)
{
    return openat(directory, path, flags, mode);
}

#endif
