/*
 * nss_tricks.so: an LD_PRELOAD library for the hardening tests (HardeningTests.swift),
 * which compile it at run time with `cc -shared -fPIC`. It sits in front of nss_wrapper
 * and overrides getpwnam_r to play a name service the module must cope with:
 *
 *   S2FA_NSS_FOLD_CASE=1       answers every spelling of a name (ALICE, Alice) with the
 *                              entry of its lower-case spelling, as a case-insensitive
 *                              directory (SSSD case_sensitive=false, winbind, LDAP) does.
 *   S2FA_NSS_FAIL_NAME=NAME    the lookup of NAME fails: result NULL and the error
 *   S2FA_NSS_FAIL_ERRNO=N      N (default EIO), as when the directory is unreachable.
 *
 * Everything else goes to the next getpwnam_r (nss_wrapper's, or glibc's), with one
 * correction: nss_wrapper reports a name it does not know as ENOENT, glibc as result NULL
 * and error 0 ("no such user"); the library answers as glibc does. getgrnam_r gets the same
 * correction and nothing else ("no such group").
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

typedef int (*getpwnam_r_function)(const char *, struct passwd *, char *, size_t, struct passwd **);
typedef int (*getgrnam_r_function)(const char *, struct group *, char *, size_t, struct group **);

static int as_glibc(int rc, struct passwd **result)
{
    return rc == ENOENT && *result == NULL ? 0 : rc;
}

int getpwnam_r(const char *name, struct passwd *entry, char *buffer, size_t size, struct passwd **result)
{
    getpwnam_r_function next = (getpwnam_r_function)dlsym(RTLD_NEXT, "getpwnam_r");
    const char *failing = getenv("S2FA_NSS_FAIL_NAME");
    char folded[256];

    if (next == NULL) {
        *result = NULL;
        return ENOSYS;
    }
    if (name != NULL && failing != NULL && strcmp(name, failing) == 0) {
        const char *code = getenv("S2FA_NSS_FAIL_ERRNO");
        *result = NULL;
        return code != NULL ? atoi(code) : EIO;
    }
    if (name != NULL && getenv("S2FA_NSS_FOLD_CASE") != NULL && strlen(name) < sizeof(folded)) {
        size_t i;
        for (i = 0; name[i] != '\0'; i++) {
            folded[i] = (char)tolower((unsigned char)name[i]);
        }
        folded[i] = '\0';
        return as_glibc(next(folded, entry, buffer, size, result), result);
    }
    return as_glibc(next(name, entry, buffer, size, result), result);
}

int getgrnam_r(const char *name, struct group *entry, char *buffer, size_t size, struct group **result)
{
    getgrnam_r_function next = (getgrnam_r_function)dlsym(RTLD_NEXT, "getgrnam_r");

    if (next == NULL) {
        *result = NULL;
        return ENOSYS;
    }
    int rc = next(name, entry, buffer, size, result);
    return rc == ENOENT && *result == NULL ? 0 : rc;
}
