/* See include/cdetachedrun.h. */
#define _GNU_SOURCE
#include "cdetachedrun.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* Closes every descriptor from `first` on, except `keep` (-1: none). */
static void close_from(int first, int keep)
{
    long limit = sysconf(_SC_OPEN_MAX);
    if (limit < 0 || limit > 65536) limit = 65536;
    for (int fd = first; fd < limit; fd++) {
        if (fd != keep) close(fd);
    }
}

/* Default handlers and an empty signal mask, as a new program expects. */
static void reset_signals(void)
{
    for (int sig = 1; sig < NSIG; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) signal(sig, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

static void write_all(int fd, const char *data, size_t length)
{
    while (length > 0) {
        ssize_t written = write(fd, data, length);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return;
        data += written;
        length -= (size_t)written;
    }
}

/* The supervisor (the grandchild): starts the program, feeds it, waits, reports. */
static void supervise(const char *path, const char *input, size_t input_length,
                      unsigned timeout_seconds, const char *log_ident)
{
    if (geteuid() == 0) {
        if (setgroups(0, NULL) != 0 || setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) _exit(1);
    }
    reset_signals();
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0) _exit(1);
    char *const argv[] = { (char *)path, NULL };
    char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", NULL };
    pid_t program = fork();
    if (program == 0) {
        int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (dup2(pipe_fds[0], 0) < 0 || null_fd < 0 || dup2(null_fd, 1) < 0 || dup2(null_fd, 2) < 0) _exit(126);
        close_from(3, -1);
        execve(path, argv, envp);
        _exit(127);
    }
    close(pipe_fds[0]);
    close_from(3, pipe_fds[1]);
    if (program < 0) _exit(1);
    signal(SIGPIPE, SIG_IGN);
    write_all(pipe_fds[1], input, input_length);
    close(pipe_fds[1]);

    int status = 0;
    int timed_out = 0;
    struct timespec pause = { 0, 50 * 1000 * 1000 };
    unsigned long waited_ms = 0;
    for (;;) {
        pid_t done = waitpid(program, &status, WNOHANG);
        if (done == program) break;
        if (done < 0 && errno != EINTR) _exit(1);
        if (waited_ms >= (unsigned long)timeout_seconds * 1000) {
            kill(program, SIGKILL);
            while (waitpid(program, &status, 0) < 0 && errno == EINTR) {}
            timed_out = 1;
            break;
        }
        nanosleep(&pause, NULL);
        waited_ms += 50;
    }
    if (!timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0) _exit(0);
    openlog(log_ident, LOG_PID, LOG_AUTHPRIV);
    if (timed_out) {
        syslog(LOG_WARNING, "notify program %s killed after %u s", path, timeout_seconds);
    } else if (WIFSIGNALED(status)) {
        syslog(LOG_WARNING, "notify program %s ended by signal %d", path, WTERMSIG(status));
    } else if (WEXITSTATUS(status) == 127) {
        syslog(LOG_WARNING, "notify program %s could not be started", path);
    } else {
        syslog(LOG_WARNING, "notify program %s failed with exit status %d", path, WEXITSTATUS(status));
    }
    closelog();
    _exit(0);
}

int s2fa_run_detached(const char *path, const char *input, size_t input_length,
                      unsigned timeout_seconds, const char *log_ident)
{
    pid_t child = fork();
    if (child < 0) return -1;
    if (child == 0) {
        setsid();
        pid_t grandchild = fork();
        if (grandchild != 0) _exit(grandchild < 0 ? 1 : 0);
        supervise(path, input, input_length, timeout_seconds, log_ident);
        _exit(0);
    }
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
    return 0;
}
