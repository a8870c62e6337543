/*
 * The module has no command line of its own: it lives inside sshd, sudo or
 * cockpit-session. These two definitions replace the Swift runtime's
 * CommandLine support object (CommandLine.cpp in the static libswiftCore.a).
 * That object registers a load-time initializer which scans /proc/self/maps to
 * find the host's argv, at every dlopen of the module: about 0.2 M instructions
 * and a file read before the first login. The module never reads
 * CommandLine.arguments, so an empty argument vector is the truth for it.
 *
 * Defining both symbols here keeps the linker from pulling that archive member
 * in. If a later toolchain moves them into an object the module needs anyway,
 * the link fails with a duplicate symbol; if it renames them, the end-to-end
 * check "module carries no /proc/self/maps scanner" (Tests/e2e/run.sh) fails.
 */
#include <stddef.h>

char **_swift_stdlib_getUnsafeArgvArgc(int *outArgLen);
void _swift_stdlib_overrideUnsafeArgvArgc(char **argv, int argc);

static char *empty_argv[] = { NULL };

/* What CommandLine.unsafeArgv and CommandLine.argc read: no arguments. */
char **_swift_stdlib_getUnsafeArgvArgc(int *outArgLen)
{
    if (outArgLen != NULL) {
        *outArgLen = 0;
    }
    return empty_argv;
}

/* Called only by a Swift main program; a module has none. */
void _swift_stdlib_overrideUnsafeArgvArgc(char **argv, int argc)
{
    (void)argv;
    (void)argc;
}
