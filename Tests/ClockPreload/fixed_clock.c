/*
 * fixed_clock.so: an LD_PRELOAD library for the PAM tests (FarFutureClockTests.swift),
 * which compile it at run time with `cc -shared -fPIC`. The module reads the clock with
 * time(2) only; this library answers it with S2FA_TEST_CLOCK (decimal Unix seconds,
 * any int64, e.g. past 2^62) instead of the system clock. Without the variable, or with
 * a malformed one, time(2) answers -1 with EINVAL, so a broken test cannot pass on the
 * real clock by accident.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

time_t time(time_t *result)
{
    const char *text = getenv("S2FA_TEST_CLOCK");
    char *end = NULL;
    long long value;

    errno = 0;
    value = text != NULL ? strtoll(text, &end, 10) : 0;
    if (text == NULL || *text == '\0' || end == NULL || *end != '\0' || errno != 0) {
        errno = EINVAL;
        return (time_t)-1;
    }
    if (result != NULL) {
        *result = (time_t)value;
    }
    return (time_t)value;
}
