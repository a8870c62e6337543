/*
 * bench-client: a small PAM application for the swift-2fa benchmarks and the
 * leak/fault tests. It computes TOTP codes itself (RFC 6238, HMAC-SHA1, 6 digits,
 * 30 s, through libcrypto) from a users file of "name hexsecret" lines, so no
 * code is ever precomputed for the wrong time step.
 *
 * Built by Benchmarks/run.sh (and by the leak test) with:
 *   cc -O2 -o bench-client client.c -lpam -lcrypto -lpthread
 * and run under pam_wrapper (LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1
 * PAM_WRAPPER_SERVICE_DIR=DIR), usually with nss_wrapper for the users.
 *
 * PIN_MODULE=/path/to/module.so in the environment dlopens it once with
 * RTLD_NODELETE first (simulates a module linked with -z nodelete).
 *
 * Modes:
 *   cold SERVICE USERSFILE COUNT LOGIN_BINARY
 *       For each of the first COUNT users: fork and exec "LOGIN_BINARY SERVICE USER CODE"
 *       (bench-login, login.c, which links only libpam) with the current code; times
 *       fork-exec-to-exit. Prints one line per login:
 *       "COLD <microseconds> <rc> <rss_kb> <pam_start-to-pam_end microseconds>
 *       <private_dirty_kb after pam_end>".
 *   warm SERVICE USERSFILE COUNT THREADS PASSES
 *       One process. THREADS threads share the first COUNT users (disjoint slices);
 *       each does PASSES passes over its users (pass k answers the code of step
 *       now+k-1, so up to 3 passes stay within window 1 and never replay).
 *       Prints "WARM <ok> <failed> <seconds> <logins_per_s>", then one line
 *       "LAT <microseconds>" per login when LAT=1 is in the environment.
 *   leak SERVICE USERSFILE COUNT PASSES
 *       Like warm with one thread, and prints "RSS <login#> <kb>" every 1000 logins.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <security/pam_appl.h>

#include "rss.h"

struct user {
    char name[64];
    unsigned char secret[64];
    int secret_length;
};

static struct user *users;
static int user_count;

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static void load_users(const char *path, int limit)
{
    FILE *f = fopen(path, "r");
    char line[512];
    if (f == NULL) {
        perror(path);
        exit(2);
    }
    users = calloc((size_t)limit, sizeof(*users));
    while (user_count < limit && fgets(line, sizeof line, f) != NULL) {
        char name[64], hex[200];
        if (sscanf(line, "%63s %199s", name, hex) != 2) {
            continue;
        }
        struct user *u = &users[user_count];
        snprintf(u->name, sizeof u->name, "%s", name);
        size_t n = strlen(hex) / 2;
        if (n > sizeof u->secret) n = sizeof u->secret;
        for (size_t i = 0; i < n; i++) {
            u->secret[i] = (unsigned char)(hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
        }
        u->secret_length = (int)n;
        user_count++;
    }
    fclose(f);
    if (user_count < limit) {
        fprintf(stderr, "only %d users in %s\n", user_count, path);
        exit(2);
    }
}

static int mode_cold(int argc, char **argv);

/* RFC 6238 TOTP, SHA1, 6 digits, for time step `step`. */
static void totp(const struct user *u, uint64_t step, char out[7])
{
    unsigned char message[8], mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    for (int i = 7; i >= 0; i--) {
        message[i] = (unsigned char)(step & 0xff);
        step >>= 8;
    }
    HMAC(EVP_sha1(), u->secret, u->secret_length, message, sizeof message, mac, &length);
    int offset = mac[length - 1] & 0x0f;
    uint32_t value = ((uint32_t)(mac[offset] & 0x7f) << 24) | ((uint32_t)mac[offset + 1] << 16)
        | ((uint32_t)mac[offset + 2] << 8) | (uint32_t)mac[offset + 3];
    snprintf(out, 7, "%06u", value % 1000000u);
}

static uint64_t current_step(void)
{
    return (uint64_t)time(NULL) / 30;
}

static int conversation(int count, const struct pam_message **messages,
                        struct pam_response **responses, void *data)
{
    const char *answer = data;
    struct pam_response *reply = calloc((size_t)count, sizeof(*reply));
    if (reply == NULL) {
        return PAM_BUF_ERR;
    }
    for (int i = 0; i < count; i++) {
        if (messages[i]->msg_style == PAM_PROMPT_ECHO_OFF || messages[i]->msg_style == PAM_PROMPT_ECHO_ON) {
            reply[i].resp = strdup(answer);
        }
    }
    *responses = reply;
    return PAM_SUCCESS;
}

static int one_login(const char *service, const char *user, const char *code, long *rss)
{
    struct pam_conv conv = { conversation, (void *)code };
    pam_handle_t *pamh = NULL;
    int rc = pam_start(service, user, &conv, &pamh);
    if (rc != PAM_SUCCESS) {
        return rc;
    }
    rc = pam_authenticate(pamh, 0);
    if (rss != NULL) {
        *rss = rss_kb();
    }
    pam_end(pamh, rc);
    return rc;
}

static int mode_cold(int argc, char **argv)
{
    if (argc != 6) {
        return 2;
    }
    const char *service = argv[2];
    int count = atoi(argv[4]);
    const char *self = argv[5];
    load_users(argv[3], count);
    for (int i = 0; i < count; i++) {
        char code[7];
        int pipefd[2];
        totp(&users[i], current_step(), code);
        if (pipe(pipefd) != 0) {
            return 2;
        }
        double start = now_seconds();
        pid_t pid = fork();
        if (pid == 0) {
            dup2(pipefd[1], 1);
            close(pipefd[0]);
            close(pipefd[1]);
            execl(self, self, service, users[i].name, code, (char *)NULL);
            _exit(127);
        }
        close(pipefd[1]);
        char buffer[256] = { 0 };
        ssize_t got = 0, n;
        while ((n = read(pipefd[0], buffer + got, sizeof buffer - 1 - (size_t)got)) > 0) {
            got += n;
        }
        close(pipefd[0]);
        int status = 0;
        waitpid(pid, &status, 0);
        double elapsed = now_seconds() - start;
        int rc = -1;
        long rss = -1;
        double pam_us = -1;
        long dirty = -1;
        sscanf(buffer, "RESULT %d RSS_KB %ld PAM_US %lf PRIVATE_DIRTY_KB %ld", &rc, &rss, &pam_us, &dirty);
        printf("COLD %.1f %d %ld %.1f %ld\n", elapsed * 1e6, rc, rss, pam_us, dirty);
    }
    return 0;
}

struct worker {
    const char *service;
    int first, last, passes;
    int ok, failed;
    double *latencies;
    int leak_report;
};

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    int n = 0;
    for (int pass = 0; pass < w->passes; pass++) {
        for (int i = w->first; i < w->last; i++) {
            char code[7];
            totp(&users[i], current_step() + (uint64_t)pass - 1, code);
            double start = now_seconds();
            int rc = one_login(w->service, users[i].name, code, NULL);
            double elapsed = now_seconds() - start;
            if (w->latencies != NULL) {
                w->latencies[n] = elapsed;
            }
            n++;
            if (rc == PAM_SUCCESS) {
                w->ok++;
            } else {
                w->failed++;
                if (getenv("VERBOSE") != NULL) {
                    fprintf(stderr, "login %s pass %d: %s\n", users[i].name, pass, pam_strerror(NULL, rc));
                }
            }
            if (w->leak_report && n % 1000 == 0) {
                printf("RSS %d %ld\n", n, rss_kb());
                fflush(stdout);
            }
        }
    }
    return NULL;
}

/* nss_wrapper reads its passwd file at the first lookup and pam_wrapper opens the real
 * libpam at the first PAM call; neither does so thread-safely. Two threads starting at
 * once made the first lookup of one of them find no user (the module then refused with
 * "unknown user", about 1 run in 10; google-authenticator, which looks the user up too,
 * once failed 1 login of 3,000 in the same setting). Doing
 * both once before the threads start keeps that race out of the measurement; a real
 * server's NSS and libpam have no such lazy start. */
static void prime_wrappers(const char *service)
{
    struct passwd *pw = getpwnam(users[0].name);
    (void)pw;
    pam_handle_t *pamh = NULL;
    struct pam_conv conv = { NULL, NULL };
    if (pam_start(service, users[0].name, &conv, &pamh) == PAM_SUCCESS) {
        pam_end(pamh, PAM_SUCCESS);
    }
}

static int mode_warm(int argc, char **argv, int leak)
{
    if ((!leak && argc != 7) || (leak && argc != 6)) {
        return 2;
    }
    const char *service = argv[2];
    int count = atoi(argv[4]);
    int threads = leak ? 1 : atoi(argv[5]);
    int passes = atoi(argv[leak ? 5 : 6]);
    if (threads < 1 || threads > 64 || passes < 1 || passes > 3) {
        return 2;
    }
    load_users(argv[3], count);
    prime_wrappers(service);
    int want_latency = getenv("LAT") != NULL;
    struct worker workers[64];
    pthread_t ids[64];
    int per = count / threads;
    for (int t = 0; t < threads; t++) {
        workers[t] = (struct worker){ service, t * per, t == threads - 1 ? count : (t + 1) * per, passes, 0, 0, NULL, leak };
        if (want_latency) {
            workers[t].latencies = calloc((size_t)(workers[t].last - workers[t].first) * (size_t)passes, sizeof(double));
        }
    }
    double start = now_seconds();
    for (int t = 0; t < threads; t++) {
        pthread_create(&ids[t], NULL, run_worker, &workers[t]);
    }
    int ok = 0, failed = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        ok += workers[t].ok;
        failed += workers[t].failed;
    }
    double elapsed = now_seconds() - start;
    printf("WARM %d %d %.6f %.1f\n", ok, failed, elapsed, ok / elapsed);
    if (want_latency) {
        for (int t = 0; t < threads; t++) {
            int n = (workers[t].last - workers[t].first) * passes;
            for (int i = 0; i < n; i++) {
                printf("LAT %.1f\n", workers[t].latencies[i] * 1e6);
            }
            free(workers[t].latencies);
        }
    }
    free(users);
    return failed == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* PIN_MODULE=path: dlopen the module once with RTLD_NODELETE, so libpam's
     * dlclose at pam_end never unloads it. This simulates linking the module with
     * -z nodelete (used to measure that proposal; off by default). */
    const char *pin = getenv("PIN_MODULE");
    if (pin != NULL && dlopen(pin, RTLD_NOW | RTLD_NODELETE) == NULL) {
        fprintf(stderr, "PIN_MODULE: %s\n", dlerror());
        return 2;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: see the comment at the top of client.c\n");
        return 2;
    }
    if (strcmp(argv[1], "cold") == 0) return mode_cold(argc, argv);
    if (strcmp(argv[1], "warm") == 0) return mode_warm(argc, argv, 0);
    if (strcmp(argv[1], "leak") == 0) return mode_warm(argc, argv, 1);
    fprintf(stderr, "unknown mode %s\n", argv[1]);
    return 2;
}
