#ifndef SWIFT2FA_CPEERCREDENTIALS_H
#define SWIFT2FA_CPEERCREDENTIALS_H

#include <sys/types.h>

/*
 * The uid of the process at the other end of the connected Unix socket `fd`, as the kernel
 * recorded it when that process called connect(2) (SO_PEERCRED). Glibc's struct ucred needs
 * _GNU_SOURCE, which Swift's Glibc module does not define; hence this shim.
 * Returns 0 and sets *uid, or -1 with errno set.
 */
int s2fa_peer_uid(int fd, uid_t *uid);

#endif
