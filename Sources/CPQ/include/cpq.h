/*
 * CPQ: one PostgreSQL call through libpq, for the swift-2fa fleet store.
 *
 * libpq is opened with dlopen("libpq.so.5") on the first call, never at load time: a
 * process that does not use the fleet store does not map it (libpq pulls in some 20
 * libraries). Each call opens a connection, runs one statement, copies the result and
 * closes the connection, all within one deadline. Every failure is reported, never hidden.
 */
#ifndef SWIFT2FA_CPQ_H
#define SWIFT2FA_CPQ_H

#include <stddef.h>

/** What a call came to. */
enum s2fa_pq_status {
    /** The statement ran; the result holds its rows. */
    S2FA_PQ_OK = 0,
    /** No usable database: libpq missing, connection refused or lost, deadline passed,
     *  or a read-only server (a standby). Fail closed. */
    S2FA_PQ_UNAVAILABLE = 1,
    /** The database refused the statement; `sqlstate` says why. */
    S2FA_PQ_REFUSED = 2,
    /** A bad argument or no memory. */
    S2FA_PQ_INTERNAL = 3,
};

/** The rows of a result: every value as text, NULL for SQL NULL. Free with s2fa_pq_free. */
typedef struct s2fa_pq_rows {
    int rows;
    int columns;
    /** rows * columns values, row by row. */
    char **values;
} s2fa_pq_rows;

/** Room for the error text written by s2fa_pq_call. */
#define S2FA_PQ_ERROR_CAPACITY 512

/**
 * Connects with `conninfo` (a libpq key=value string or URI), runs `sql` with `nparams`
 * text parameters (a NULL parameter is SQL NULL) and disconnects, all within
 * `timeout_seconds` (1 to 3600). With `nparams` 0 and `script` non-zero, `sql` may hold
 * several statements, run as one transaction; their last result is returned.
 *
 * On S2FA_PQ_OK, *out is the result (free it with s2fa_pq_free). Otherwise *out is NULL,
 * `error` (capacity S2FA_PQ_ERROR_CAPACITY) holds one line, and `sqlstate` (capacity 6)
 * the five-character SQLSTATE when the server sent one, else "".
 */
int s2fa_pq_call(const char *conninfo, int timeout_seconds, const char *sql,
                 const char *const *params, int nparams, int script,
                 s2fa_pq_rows **out, char *error, char *sqlstate);

/** Frees a result of s2fa_pq_call; NULL is fine. */
void s2fa_pq_free(s2fa_pq_rows *rows);

/** The value at (row, column), or NULL for SQL NULL or out of range. */
const char *s2fa_pq_value(const s2fa_pq_rows *rows, int row, int column);

/**
 * Parses `conninfo` (a libpq key=value string or URI) with libpq's PQconninfoParse, which
 * reads no environment and applies no defaults. On S2FA_PQ_OK, *out has one row per keyword
 * the string sets, two columns: the keyword and its value (free it with s2fa_pq_free, which
 * wipes the values). A malformed string is S2FA_PQ_REFUSED with libpq's message in `error`
 * (capacity S2FA_PQ_ERROR_CAPACITY); a missing libpq is S2FA_PQ_UNAVAILABLE.
 */
int s2fa_pq_parse(const char *conninfo, s2fa_pq_rows **out, char *error);

#endif
