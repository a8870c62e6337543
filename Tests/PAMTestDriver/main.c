/*
 * pamtest-driver: runs one pam_authenticate through real libpam, with libpamtest,
 * for the integration tests. Run it under pam_wrapper:
 *
 *   LD_PRELOAD=libpam_wrapper.so PAM_WRAPPER=1 PAM_WRAPPER_SERVICE_DIR=DIR \
 *     pamtest-driver SERVICE USER [ANSWER...]
 *
 * Each prompt is answered with the next ANSWER. It prints, one per line:
 *   PROMPT ECHO_OFF|ECHO_ON <text>   a question the module asked
 *   INFO <text> / ERROR <text>       messages the module sent
 *   SETCRED <code> <name>            what pam_setcred returned (only after a successful pam_authenticate)
 *   RESULT <code> <name>             what pam_authenticate returned
 *   ELAPSED_US <n>                   wall time from pam_start to pam_end, in microseconds
 * An ANSWER "@CONV=N" makes the conversation function return N instead of answering;
 * "@NULL" returns PAM_SUCCESS with a reply whose text is NULL; "@WAIT=PATH" creates
 * PATH.waiting, waits (up to 60 s) until PATH exists, then answers with the next ANSWER;
 * "-" answers with one line read from standard input after the prompt was printed (for
 * answers that depend on what the module showed, such as a code for a secret shown at
 * enrollment; end of input is a failed conversation).
 *
 * With PAM_WRAPPER_DEBUGLEVEL=2, pam_wrapper prints what modules send to
 * pam_syslog on stderr as "SYSLOG(priority): text".
 * PAM items such as PAM_RHOST and PAM_AUTHTOK are set by putting pam_wrapper's
 * pam_set_items.so first in the stack, with the items in the environment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpamtest.h>
#include <security/pam_appl.h>

struct answers {
    char **items;
    int count;
    int next;
};

static void print_line(const char *prefix, const char *text)
{
    printf("%s ", prefix);
    for (const char *p = text; p != NULL && *p != '\0'; p++) {
        putchar(*p == '\n' ? ' ' : *p);
    }
    putchar('\n');
    fflush(stdout);
}

/* Creates PATH.waiting, then waits (up to 60 s) until PATH exists. */
static void wait_for(const char *path)
{
    char marker[4096];
    snprintf(marker, sizeof(marker), "%s.waiting", path);
    FILE *waiting = fopen(marker, "w");
    if (waiting != NULL) {
        fclose(waiting);
    }
    for (int tries = 0; tries < 6000 && access(path, F_OK) != 0; tries++) {
        usleep(10000);
    }
}

static int conversation(int count, const struct pam_message **messages,
                        struct pam_response **responses, void *data)
{
    struct answers *answers = data;
    struct pam_response *reply = calloc((size_t)count, sizeof(*reply));
    if (reply == NULL) {
        return PAM_BUF_ERR;
    }
    for (int i = 0; i < count; i++) {
        const struct pam_message *message = messages[i];
        switch (message->msg_style) {
        case PAM_PROMPT_ECHO_OFF:
        case PAM_PROMPT_ECHO_ON:
            print_line(message->msg_style == PAM_PROMPT_ECHO_OFF ? "PROMPT ECHO_OFF" : "PROMPT ECHO_ON",
                       message->msg);
            /* "@WAIT=PATH": hold the login at this prompt until the test creates PATH. */
            while (answers->next < answers->count && strncmp(answers->items[answers->next], "@WAIT=", 6) == 0) {
                wait_for(answers->items[answers->next++] + 6);
            }
            if (answers->next >= answers->count) {
                print_line("CONVERSATION", "no answer left");
                for (int j = 0; j < i; j++) {
                    free(reply[j].resp);
                }
                free(reply);
                return PAM_CONV_ERR;
            }
            /* An answer "@CONV=N" makes the conversation function itself return N (no reply). */
            if (strncmp(answers->items[answers->next], "@CONV=", 6) == 0) {
                int code = atoi(answers->items[answers->next] + 6);
                answers->next++;
                for (int j = 0; j < i; j++) {
                    free(reply[j].resp);
                }
                free(reply);
                return code;
            }
            /* "@NULL": a successful conversation whose reply has no text. */
            if (strcmp(answers->items[answers->next], "@NULL") == 0) {
                answers->next++;
                reply[i].resp = NULL;
                break;
            }
            /* "-": one line from standard input, read now that the prompt is printed. */
            if (strcmp(answers->items[answers->next], "-") == 0) {
                char line[4096];
                answers->next++;
                if (fgets(line, sizeof(line), stdin) == NULL) {
                    print_line("CONVERSATION", "end of input");
                    for (int j = 0; j < i; j++) {
                        free(reply[j].resp);
                    }
                    free(reply);
                    return PAM_CONV_ERR;
                }
                line[strcspn(line, "\n")] = '\0';
                reply[i].resp = strdup(line);
                break;
            }
            reply[i].resp = strdup(answers->items[answers->next++]);
            break;
        case PAM_TEXT_INFO:
            print_line("INFO", message->msg);
            break;
        case PAM_ERROR_MSG:
            print_line("ERROR", message->msg);
            break;
        default:
            break;
        }
    }
    *responses = reply;
    return PAM_SUCCESS;
}

int main(int argc, char **argv)
{
    int index = 1;
    if (argc - index < 2) {
        fprintf(stderr, "usage: pamtest-driver SERVICE USER [ANSWER...]\n");
        return 2;
    }
    const char *service = argv[index];
    const char *user = argv[index + 1];
    struct answers answers = { &argv[index + 2], argc - index - 2, 0 };
    struct pam_testcase tests[] = {
        pam_test(PAMTEST_AUTHENTICATE, PAM_SUCCESS),
        pam_test(PAMTEST_SETCRED, PAM_SUCCESS),
    };
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    enum pamtest_err perr = _pamtest_conv(service, user, conversation, &answers, tests,
                                          sizeof(tests) / sizeof(tests[0]), NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    printf("ELAPSED_US %lld\n", (long long)(end.tv_sec - start.tv_sec) * 1000000 + (end.tv_nsec - start.tv_nsec) / 1000);
    if (perr != PAMTEST_ERR_OK && perr != PAMTEST_ERR_CASE) {
        printf("RESULT -1 %s\n", pamtest_strerror(perr));
        return 1;
    }
    if (tests[0].op_rv == PAM_SUCCESS) {
        printf("SETCRED %d %s\n", tests[1].op_rv, pam_strerror(NULL, tests[1].op_rv));
    }
    printf("RESULT %d %s\n", tests[0].op_rv, pam_strerror(NULL, tests[0].op_rv));
    return 0;
}
