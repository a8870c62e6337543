/*
 * One PostgreSQL call through a libpq opened with dlopen on first use (see cpq.h).
 * The few libpq declarations used are repeated here (their values are part of libpq's
 * stable ABI, soname libpq.so.5), so building needs no libpq headers and the module
 * carries no NEEDED entry for libpq.
 */
#include "cpq.h"

#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;
typedef struct {
    char *keyword, *envvar, *compiled, *val, *label, *dispchar;
    int dispsize;
} PQconninfoOption;
enum { CONNECTION_OK = 0 };
enum { PGRES_POLLING_FAILED = 0, PGRES_POLLING_READING = 1, PGRES_POLLING_WRITING = 2, PGRES_POLLING_OK = 3 };
enum { PGRES_EMPTY_QUERY = 0, PGRES_COMMAND_OK = 1, PGRES_TUPLES_OK = 2 };
enum { PG_DIAG_SQLSTATE = 'C', PG_DIAG_MESSAGE_PRIMARY = 'M' };

static struct {
    PGconn *(*connectStartParams)(const char *const *, const char *const *, int);
    int (*connectPoll)(PGconn *);
    int (*status)(const PGconn *);
    int (*socket)(const PGconn *);
    char *(*errorMessage)(const PGconn *);
    void (*finish)(PGconn *);
    int (*sendQuery)(PGconn *, const char *);
    int (*sendQueryParams)(PGconn *, const char *, int, const unsigned int *, const char *const *,
                           const int *, const int *, int);
    int (*consumeInput)(PGconn *);
    int (*isBusy)(PGconn *);
    PGresult *(*getResult)(PGconn *);
    int (*resultStatus)(const PGresult *);
    char *(*resultErrorField)(const PGresult *, int);
    int (*ntuples)(const PGresult *);
    int (*nfields)(const PGresult *);
    char *(*getvalue)(const PGresult *, int, int);
    int (*getisnull)(const PGresult *, int, int);
    void (*clear)(PGresult *);
    PQconninfoOption *(*conninfoParse)(const char *, char **);
    void (*conninfoFree)(PQconninfoOption *);
    void (*freemem)(void *);
} pq;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int loaded;                 /* 1 when every symbol resolved */
static char load_error[256];

static void load_libpq(void) {
    void *library = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        snprintf(load_error, sizeof load_error, "libpq.so.5 cannot be loaded (install libpq5)");
        return;
    }
#define RESOLVE(field, name)                                                             \
    do {                                                                                 \
        *(void **)(&pq.field) = dlsym(library, name);                                    \
        if (pq.field == NULL) {                                                          \
            snprintf(load_error, sizeof load_error, "libpq.so.5 lacks %s", name);        \
            return;                                                                      \
        }                                                                                \
    } while (0)
    RESOLVE(connectStartParams, "PQconnectStartParams");
    RESOLVE(connectPoll, "PQconnectPoll");
    RESOLVE(status, "PQstatus");
    RESOLVE(socket, "PQsocket");
    RESOLVE(errorMessage, "PQerrorMessage");
    RESOLVE(finish, "PQfinish");
    RESOLVE(sendQuery, "PQsendQuery");
    RESOLVE(sendQueryParams, "PQsendQueryParams");
    RESOLVE(consumeInput, "PQconsumeInput");
    RESOLVE(isBusy, "PQisBusy");
    RESOLVE(getResult, "PQgetResult");
    RESOLVE(resultStatus, "PQresultStatus");
    RESOLVE(resultErrorField, "PQresultErrorField");
    RESOLVE(ntuples, "PQntuples");
    RESOLVE(nfields, "PQnfields");
    RESOLVE(getvalue, "PQgetvalue");
    RESOLVE(getisnull, "PQgetisnull");
    RESOLVE(clear, "PQclear");
    RESOLVE(conninfoParse, "PQconninfoParse");
    RESOLVE(conninfoFree, "PQconninfoFree");
    RESOLVE(freemem, "PQfreemem");
#undef RESOLVE
    loaded = 1;
}

/* `text` as one line: control characters become spaces, trailing blanks go. */
static void set_error(char *error, const char *prefix, const char *text) {
    snprintf(error, S2FA_PQ_ERROR_CAPACITY, "%s%s", prefix, text != NULL ? text : "");
    size_t length = strlen(error);
    for (size_t i = 0; i < length; i++) {
        if ((unsigned char)error[i] < 0x20 || error[i] == 0x7f) error[i] = ' ';
    }
    while (length > 0 && error[length - 1] == ' ') error[--length] = 0;
}

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits until the connection's socket is readable (or writable); 0 on the deadline or an error. */
static int wait_socket(PGconn *conn, int for_write, long long deadline) {
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) return 0;
        struct pollfd p = { .fd = pq.socket(conn), .events = for_write ? POLLOUT : POLLIN };
        if (p.fd < 0) return 0;
        int ready = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
        if (ready > 0) return 1;
        if (ready < 0 && errno != EINTR) return 0;
    }
}

/* SQLSTATEs that mean "no usable primary": a read-only transaction (a standby), connection
 * failures (08), too many connections and other lack of resources (53), shutdown, start-up
 * and cancelled statements (57), system and I/O errors (58). */
static int means_unavailable(const char *sqlstate) {
    return strcmp(sqlstate, "25006") == 0 || strncmp(sqlstate, "08", 2) == 0 || strncmp(sqlstate, "53", 2) == 0
        || strncmp(sqlstate, "57", 2) == 0 || strncmp(sqlstate, "58", 2) == 0;
}

static s2fa_pq_rows *copy_rows(const PGresult *result) {
    s2fa_pq_rows *rows = calloc(1, sizeof *rows);
    if (rows == NULL) return NULL;
    int n = pq.ntuples(result), m = pq.nfields(result);
    if (n < 0 || m < 0 || (m > 0 && n > 1000000 / m)) { free(rows); return NULL; }
    rows->values = calloc((size_t)n * (size_t)m + 1, sizeof(char *));
    if (rows->values == NULL) { free(rows); return NULL; }
    rows->rows = n;
    rows->columns = m;
    for (int r = 0; r < n; r++) {
        for (int c = 0; c < m; c++) {
            if (pq.getisnull(result, r, c)) continue;
            char *copy = strdup(pq.getvalue(result, r, c));
            if (copy == NULL) { s2fa_pq_free(rows); return NULL; }
            rows->values[(size_t)r * (size_t)m + (size_t)c] = copy;
        }
    }
    return rows;
}

void s2fa_pq_free(s2fa_pq_rows *rows) {
    if (rows == NULL) return;
    if (rows->values != NULL) {
        size_t count = (size_t)rows->rows * (size_t)rows->columns;
        for (size_t i = 0; i < count; i++) {
            if (rows->values[i] != NULL) {
                memset(rows->values[i], 0, strlen(rows->values[i]));
                free(rows->values[i]);
            }
        }
        free(rows->values);
    }
    free(rows);
}

const char *s2fa_pq_value(const s2fa_pq_rows *rows, int row, int column) {
    if (rows == NULL || row < 0 || column < 0 || row >= rows->rows || column >= rows->columns) return NULL;
    return rows->values[(size_t)row * (size_t)rows->columns + (size_t)column];
}

int s2fa_pq_call(const char *conninfo, int timeout_seconds, const char *sql,
                 const char *const *params, int nparams, int script,
                 s2fa_pq_rows **out, char *error, char *sqlstate) {
    if (out == NULL || error == NULL || sqlstate == NULL) return S2FA_PQ_INTERNAL;
    *out = NULL;
    error[0] = 0;
    sqlstate[0] = 0;
    if (conninfo == NULL || sql == NULL || nparams < 0 || (nparams > 0 && params == NULL)
        || (script && nparams > 0) || timeout_seconds < 1 || timeout_seconds > 3600) {
        set_error(error, "invalid database call", NULL);
        return S2FA_PQ_INTERNAL;
    }
    pthread_once(&load_once, load_libpq);
    if (!loaded) {
        set_error(error, "", load_error);
        return S2FA_PQ_UNAVAILABLE;
    }
    long long deadline = now_ms() + (long long)timeout_seconds * 1000;

    /* The connection string is expanded as dbname; connect_timeout after it bounds each host. */
    char timeout_text[16];
    snprintf(timeout_text, sizeof timeout_text, "%d", timeout_seconds < 2 ? 2 : timeout_seconds);
    const char *const keywords[] = { "dbname", "connect_timeout", "application_name", NULL };
    const char *const values[] = { conninfo, timeout_text, "swift-2fa", NULL };
    PGconn *conn = pq.connectStartParams(keywords, values, 1);
    if (conn == NULL) {
        set_error(error, "cannot start a database connection: out of memory", NULL);
        return S2FA_PQ_UNAVAILABLE;
    }
    int polling = PGRES_POLLING_WRITING;
    while (polling != PGRES_POLLING_OK) {
        if (polling == PGRES_POLLING_FAILED || pq.status(conn) == 1 /* CONNECTION_BAD */) {
            set_error(error, "database connection failed: ", pq.errorMessage(conn));
            pq.finish(conn);
            return S2FA_PQ_UNAVAILABLE;
        }
        if (!wait_socket(conn, polling == PGRES_POLLING_WRITING, deadline)) {
            snprintf(error, S2FA_PQ_ERROR_CAPACITY, "database connection timed out after %d s", timeout_seconds);
            pq.finish(conn);
            return S2FA_PQ_UNAVAILABLE;
        }
        polling = pq.connectPoll(conn);
    }

    int sent = script ? pq.sendQuery(conn, sql)
                      : pq.sendQueryParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
    if (!sent) {
        set_error(error, "database call failed: ", pq.errorMessage(conn));
        pq.finish(conn);
        return S2FA_PQ_UNAVAILABLE;
    }
    int status = S2FA_PQ_OK;
    PGresult *last = NULL;
    for (;;) {
        while (pq.isBusy(conn)) {
            if (!wait_socket(conn, 0, deadline)) {
                snprintf(error, S2FA_PQ_ERROR_CAPACITY, "database call timed out after %d s", timeout_seconds);
                if (last != NULL) pq.clear(last);
                pq.finish(conn);
                return S2FA_PQ_UNAVAILABLE;
            }
            if (!pq.consumeInput(conn)) {
                set_error(error, "database connection lost: ", pq.errorMessage(conn));
                if (last != NULL) pq.clear(last);
                pq.finish(conn);
                return S2FA_PQ_UNAVAILABLE;
            }
        }
        PGresult *result = pq.getResult(conn);
        if (result == NULL) break;
        int kind = pq.resultStatus(result);
        if (status == S2FA_PQ_OK && kind != PGRES_COMMAND_OK && kind != PGRES_TUPLES_OK && kind != PGRES_EMPTY_QUERY) {
            const char *state = pq.resultErrorField(result, PG_DIAG_SQLSTATE);
            if (state != NULL) snprintf(sqlstate, 6, "%s", state);
            const char *message = pq.resultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
            set_error(error, "database: ", message != NULL ? message : pq.errorMessage(conn));
            status = (state == NULL || means_unavailable(sqlstate)) ? S2FA_PQ_UNAVAILABLE : S2FA_PQ_REFUSED;
        }
        if (last != NULL) pq.clear(last);
        last = result;
    }
    if (status == S2FA_PQ_OK) {
        if (last == NULL) {
            set_error(error, "database sent no result", NULL);
            status = S2FA_PQ_UNAVAILABLE;
        } else if ((*out = copy_rows(last)) == NULL) {
            set_error(error, "no memory for the database result", NULL);
            status = S2FA_PQ_INTERNAL;
        }
    }
    if (last != NULL) pq.clear(last);
    pq.finish(conn);
    return status;
}

int s2fa_pq_parse(const char *conninfo, s2fa_pq_rows **out, char *error) {
    if (out == NULL || error == NULL) return S2FA_PQ_INTERNAL;
    *out = NULL;
    error[0] = 0;
    if (conninfo == NULL) {
        set_error(error, "invalid connection string", NULL);
        return S2FA_PQ_INTERNAL;
    }
    pthread_once(&load_once, load_libpq);
    if (!loaded) {
        set_error(error, "", load_error);
        return S2FA_PQ_UNAVAILABLE;
    }
    char *message = NULL;
    PQconninfoOption *options = pq.conninfoParse(conninfo, &message);
    if (options == NULL) {
        set_error(error, "", message != NULL ? message : "out of memory");
        if (message != NULL) pq.freemem(message);
        return message != NULL ? S2FA_PQ_REFUSED : S2FA_PQ_INTERNAL;
    }
    int set = 0;
    for (PQconninfoOption *option = options; option->keyword != NULL; option++) {
        if (option->val != NULL) set++;
    }
    s2fa_pq_rows *rows = calloc(1, sizeof *rows);
    if (rows != NULL) rows->values = calloc((size_t)set * 2 + 1, sizeof(char *));
    int status = S2FA_PQ_OK;
    if (rows == NULL || rows->values == NULL) {
        status = S2FA_PQ_INTERNAL;
    } else {
        rows->columns = 2;
        for (PQconninfoOption *option = options; option->keyword != NULL && status == S2FA_PQ_OK; option++) {
            if (option->val == NULL) continue;
            char *keyword = strdup(option->keyword), *value = strdup(option->val);
            /* Counted before the check, so that s2fa_pq_free frees whatever was copied. */
            rows->values[(size_t)rows->rows * 2] = keyword;
            rows->values[(size_t)rows->rows * 2 + 1] = value;
            rows->rows++;
            if (keyword == NULL || value == NULL) status = S2FA_PQ_INTERNAL;
        }
    }
    for (PQconninfoOption *option = options; option->keyword != NULL; option++) {
        if (option->val != NULL) memset(option->val, 0, strlen(option->val));
    }
    pq.conninfoFree(options);
    if (status != S2FA_PQ_OK) {
        if (rows != NULL && rows->values == NULL) free(rows);
        else s2fa_pq_free(rows);
        set_error(error, "no memory for the connection string", NULL);
        return status;
    }
    *out = rows;
    return S2FA_PQ_OK;
}
