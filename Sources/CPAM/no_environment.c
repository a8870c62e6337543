/*
 * Nothing inside the module reads the environment. The module runs inside setuid
 * programs (su, sudo) that keep the caller's environment, and the static Swift runtime
 * and libstdc++ it carries read variables of their own:
 *
 *   - the runtime's SWIFT_* settings (SWIFT_DEBUG_HELP, SWIFT_DETERMINISTIC_HASHING,
 *     SWIFT_DEBUG_ENABLE_MALLOC_SCRIBBLE, ...) by scanning `environ` itself
 *     (EnvironmentVariables.cpp in libswiftCore.a), not through getenv;
 *   - SWIFT_BACKTRACE through getenv (Backtrace.cpp, a load-time initializer), whose
 *     crash handler would start the swift-backtrace program with execvpe;
 *   - GLIBCXX_* and locale variables through getenv / secure_getenv (libstdc++), and
 *     LANGUAGE / LC_* through gettext when libstdc++ translates an exception message.
 *
 * Package.swift links the module with `--wrap=NAME` for each of these names, so every
 * reference inside the module resolves to the __wrap_NAME defined here: an empty
 * environment, no variable, untranslated texts, and no program started. `nm -D` of the
 * module then imports none of them (checked by Tests/e2e/run.sh); libc's own functions
 * are untouched, and only the module's references are redirected.
 *
 * strerror is wrapped for the same reason: its text follows the process's locale
 * (setlocale(LC_ALL, "") in su takes it from LC_ALL), and the module's log lines must
 * not depend on the caller's environment. strerrordesc_np (glibc 2.32) gives the
 * untranslated text.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <string.h>

static char *empty_environment[] = { NULL };

/* What the runtime scans instead of the process's environment: nothing. */
char **__wrap_environ = empty_environment;
char **__wrap___environ = empty_environment;

char *__wrap_getenv(const char *name)
{
    (void)name;
    return NULL;
}

char *__wrap_secure_getenv(const char *name)
{
    (void)name;
    return NULL;
}

/* No message catalog: the text as written. */
char *__wrap_gettext(const char *message)
{
    return (char *)message;
}

/* The module starts no program. */
int __wrap_execvpe(const char *file, char *const argv[], char *const envp[])
{
    (void)file;
    (void)argv;
    (void)envp;
    errno = EPERM;
    return -1;
}

/* The English text of an error number, whatever the locale; never NULL. */
char *__wrap_strerror(int code)
{
    const char *text = strerrordesc_np(code);
    return (char *)(text != NULL ? text : "Unknown error");
}
