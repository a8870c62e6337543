#ifndef CDETACHEDRUN_H
#define CDETACHEDRUN_H

#include <stddef.h>

/*
 * Runs the program at `path` (absolute; argv is just the path) detached from the caller,
 * for the event hooks (`notify =`): the caller forks once and reaps that child at once,
 * so it waits for nothing; the grandchild, in a session of its own and with root's full
 * identity when the caller's effective uid is 0, starts the program with an environment
 * of PATH and LANG only, `input` on its standard input, /dev/null as standard output and
 * error, and no other open descriptor, and kills it after `timeout_seconds`. A program
 * that cannot start, exits with a status other than 0, dies of a signal or runs too long
 * is logged once to authpriv under `log_ident`.
 *
 * Between fork and exec only async-signal-safe calls are made (and syslog, for the one
 * failure line, in a process nobody else shares). Returns 0 when the detached process was
 * started, -1 (errno set) when the first fork failed.
 */
int s2fa_run_detached(const char *path, const char *input, size_t input_length,
                      unsigned timeout_seconds, const char *log_ident);

#endif
